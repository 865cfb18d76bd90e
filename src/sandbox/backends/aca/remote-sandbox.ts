/**
 * A `Sandbox` over an ACA-compatible pool. `Sandbox-ACA` and `Sandbox-Pool` are both this class,
 * differing only in how they get their client (Azure settings vs. an embedded pool server).
 */
import { randomUUID } from 'node:crypto';
import { SessionLifecycle } from '../../lifecycle.js';
import { SessionMap } from '../../session-map.js';
import type { Sandbox, SandboxOptions, SandboxType } from '../../types.js';
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
  connect(signal?: AbortSignal): Promise<AcaClient>;
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
    this.#host = { sandboxType: config.type, defaultTimeoutMs: config.defaultTimeoutMs, connect: (signal) => config.connect(signal) };
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
