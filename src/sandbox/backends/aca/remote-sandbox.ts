/**
 * A `Sandbox` over an ACA-compatible pool. `Sandbox-ACA` and `Sandbox-Pool` are both this class,
 * differing only in how they get their client (Azure settings vs. an embedded pool server).
 */
import { randomUUID } from 'node:crypto';
import { SessionLifecycle } from '../../lifecycle.js';
import { SessionMap } from '../../session-map.js';
import { unsupportedLanguage } from '../../languages.js';
import type { Language, Sandbox, SandboxOptions, SandboxType } from '../../types.js';
import type { AcaApiVersion } from './api-versions.js';
import { validateIdentifier } from './identifier.js';
import type { AcaClient } from './aca-client.js';
import { RemoteSession, type RemoteSessionHost } from './remote-session.js';

export interface RemoteSandboxConfig {
  type: SandboxType;
  banner: string;
  /** Known before connecting, so identifiers are checked when a session is opened. */
  api: AcaApiVersion;
  defaultTimeoutMs: number;
  /** The languages its pools run (may ask a pool once). */
  languages(signal?: AbortSignal): Promise<readonly Language[]>;
  /** The client of the pool that runs `language`, one of `languages()`. */
  connect(language: Language, signal?: AbortSignal): Promise<AcaClient>;
  /** Names the pool in errors, e.g. `Sandbox-ACA (the pool at https://…)`. */
  describe(): string;
  /** Runs after every session closed (e.g. stops an embedded pool). */
  shutdown?(): Promise<void>;
}

export class RemoteSandbox implements Sandbox {
  readonly type: SandboxType;
  readonly banner: string;
  readonly #sessions = new SessionMap<RemoteSession>();
  readonly #host: RemoteSessionHost;

  constructor(
    private readonly config: RemoteSandboxConfig,
    private readonly options: SandboxOptions = {},
  ) {
    this.type = config.type;
    this.banner = config.banner;
    this.#host = {
      sandboxType: config.type,
      defaultTimeoutMs: config.defaultTimeoutMs,
      checkLanguage: async (language, signal) => {
        const offered = await config.languages(signal);
        if (!offered.includes(language)) throw unsupportedLanguage(language, config.describe(), offered);
      },
      connect: (language, signal) => config.connect(language, signal),
    };
  }

  languages(options: { signal?: AbortSignal } = {}): Promise<readonly Language[]> {
    return this.config.languages(options.signal);
  }

  session(identifier?: string): RemoteSession {
    const owned = identifier === undefined;
    const id = validateIdentifier(identifier ?? randomUUID(), this.config.api);
    return this.#sessions.get(id, (forget) => {
      const lifecycle = new SessionLifecycle(this.type, id, this.options.onLifecycle, this.options.label);
      return new RemoteSession(id, this.#host, lifecycle, owned, forget);
    });
  }

  async close(): Promise<void> {
    await this.#sessions.closeAll();
    await this.config.shutdown?.();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
