/**
 * `Sandbox-Daytona`: each Tidepool session runs in its own Daytona cloud sandbox, with one
 * interpreter context holding its Python state. Nothing touches the network, and the SDK is not
 * imported, until a session is first used.
 */
import { numberSetting, requiredSetting, stringSetting, type Env } from '../../../config/settings.js';
import type { CloudSandboxOptions } from '../../cloud-sandbox-options.js';
import { DEFAULT_TIMEOUT_MS } from '../../execution.js';
import { SessionLifecycle } from '../../lifecycle.js';
import { resolveOutputLimitBytes } from '../../output-cap.js';
import { SessionMapSandbox } from '../../session-map.js';
import type { Language, Sandbox } from '../../types.js';
import { loadDaytonaSdk, type DaytonaClient, type DaytonaContext, type DaytonaSdk } from './daytona-sdk.js';
import { DAYTONA_LANGUAGES, DaytonaSession } from './daytona-session.js';

/** Daytona stops idle sandboxes after this many minutes; we delete ours on close, this only catches leaks. */
export const DEFAULT_DAYTONA_AUTO_STOP_MINUTES = 15;
const DEFAULT_REQUEST_TIMEOUT_MS = 120_000;

export interface DaytonaSandboxOptions extends CloudSandboxOptions<DaytonaContext, DaytonaSdk> {
  /** Daytona API key; default DAYTONA_API_KEY. Missing → ConfigurationError at first session use. */
  apiKey?: string;
  /** API URL; default DAYTONA_API_URL, else the SDK's default (https://app.daytona.io/api). */
  apiUrl?: string;
  /** Region to create sandboxes in; default DAYTONA_TARGET, else the organisation's default. */
  target?: string;
  /** Idle minutes before Daytona stops a sandbox we failed to delete; default DAYTONA_AUTO_STOP_MINUTES, else 15. */
  autoStopMinutes?: number;
  /** Limit for creating a sandbox and other API requests (not cells); default 120000. */
  requestTimeoutMs?: number;
}

export class DaytonaSandbox extends SessionMapSandbox<DaytonaSession> implements Sandbox {
  readonly type = 'Sandbox-Daytona' as const;
  readonly banner = '🔒 [Daytona Sandbox]';

  languages(): Promise<readonly Language[]> {
    return Promise.resolve(DAYTONA_LANGUAGES);
  }
  readonly #options: DaytonaSandboxOptions;
  #client: Promise<{ client: DaytonaClient; sdk: DaytonaSdk }> | undefined;

  constructor(options: DaytonaSandboxOptions = {}) {
    super();
    this.#options = options;
  }


  protected openSession(identifier: string, forget: () => void): DaytonaSession {
    const options = this.#options;
    const env = options.env ?? process.env;
    const clock = options.clock ?? (() => performance.now());
    const lifecycle = new SessionLifecycle('Sandbox-Daytona', identifier, options.onLifecycle, options.label, clock);
    return new DaytonaSession(
      identifier,
      {
        client: () => this.#resolveClient(env),
        autoStopMinutes: numberSetting(options.autoStopMinutes, 'DAYTONA_AUTO_STOP_MINUTES', DEFAULT_DAYTONA_AUTO_STOP_MINUTES, env),
        requestTimeoutMs: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
        defaultTimeoutMs: options.defaultTimeoutMs ?? DEFAULT_TIMEOUT_MS,
        outputLimitBytes: resolveOutputLimitBytes(options.outputLimitBytes, env),
        registry: (options.sessionRegistry ??= new Map()),
        clock,
      },
      lifecycle,
      forget,
    );
  }

  /** One client for every session; the key is checked before the SDK is even loaded. */
  #resolveClient(env: Env): Promise<{ client: DaytonaClient; sdk: DaytonaSdk }> {
    const options = this.#options;
    const apiKey = requiredSetting(options.apiKey, 'DAYTONA_API_KEY', 'apiKey', env, 'Create a key at https://app.daytona.io/dashboard/keys.');
    this.#client ??= loadDaytonaSdk(options.sdk).then((sdk) => ({
      sdk,
      client: new sdk.Daytona({
        apiKey,
        apiUrl: stringSetting(options.apiUrl, 'DAYTONA_API_URL', env),
        target: stringSetting(options.target, 'DAYTONA_TARGET', env),
      }),
    }));
    return this.#client;
  }
}

export function createDaytonaSandbox(options?: DaytonaSandboxOptions): DaytonaSandbox {
  return new DaytonaSandbox(options);
}
