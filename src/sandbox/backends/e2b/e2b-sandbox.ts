/**
 * `Sandbox-E2B`: each Tidepool session runs in its own E2B cloud sandbox (a Firecracker microVM
 * with a Jupyter kernel). Nothing touches the network, and the SDK is not even imported, until a
 * session is first used.
 */
import { numberSetting, requiredSetting, stringSetting } from '../../../config/settings.js';
import type { CloudSandboxOptions } from '../../cloud-sandbox-options.js';
import { DEFAULT_TIMEOUT_MS } from '../../execution.js';
import { SessionLifecycle } from '../../lifecycle.js';
import { resolveOutputLimitBytes } from '../../output-cap.js';
import { SessionMapSandbox } from '../../session-map.js';
import type { Language, Sandbox } from '../../types.js';
import { loadE2BSdk, type E2BContext, type E2BSdk } from './e2b-sdk.js';
import { E2B_LANGUAGES, E2BSession } from './e2b-session.js';

/** E2B's own default lifetime is 5 minutes; ours is longer so a slow tool is not cut off. Refreshed before long cells. */
export const DEFAULT_E2B_SANDBOX_TIMEOUT_MS = 600_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;

export interface E2BSandboxOptions extends CloudSandboxOptions<E2BContext, E2BSdk> {
  /** E2B API key; default E2B_API_KEY. Missing → ConfigurationError at first session use. */
  apiKey?: string;
  /** Sandbox template name or id; default E2B_TEMPLATE, else the SDK's code-interpreter template. */
  template?: string;
  /** Lifetime of each E2B sandbox, extended before longer cells; default E2B_SANDBOX_TIMEOUT_MS, else 600000. */
  sandboxTimeoutMs?: number;
  /** Limit for each API request (not for cells); default 60000. */
  requestTimeoutMs?: number;
}

export class E2BSandbox extends SessionMapSandbox<E2BSession> implements Sandbox {
  readonly type = 'Sandbox-E2B' as const;
  readonly banner = '🔒 [E2B Sandbox]';
  readonly #options: E2BSandboxOptions;
  #sdk: Promise<E2BSdk> | undefined;

  constructor(options: E2BSandboxOptions = {}) {
    super();
    this.#options = options;
  }

  /** The code interpreter runs Python, JavaScript and bash kernels, each in a context of its own. */
  languages(): Promise<readonly Language[]> {
    return Promise.resolve(E2B_LANGUAGES);
  }

  protected openSession(identifier: string, forget: () => void): E2BSession {
    const options = this.#options;
    const env = options.env ?? process.env;
    const clock = options.clock ?? (() => performance.now());
    const lifecycle = new SessionLifecycle('Sandbox-E2B', identifier, options.onLifecycle, options.label, clock);
    return new E2BSession(
      identifier,
      {
        apiKey: () => requiredSetting(options.apiKey, 'E2B_API_KEY', 'apiKey', env, 'Create a key at https://e2b.dev/dashboard.'),
        template: stringSetting(options.template, 'E2B_TEMPLATE', env),
        sandboxTimeoutMs: numberSetting(options.sandboxTimeoutMs, 'E2B_SANDBOX_TIMEOUT_MS', DEFAULT_E2B_SANDBOX_TIMEOUT_MS, env),
        requestTimeoutMs: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
        defaultTimeoutMs: options.defaultTimeoutMs ?? DEFAULT_TIMEOUT_MS,
        outputLimitBytes: resolveOutputLimitBytes(options.outputLimitBytes, env),
        registry: (options.sessionRegistry ??= new Map()),
        loadSdk: () => (this.#sdk ??= loadE2BSdk(options.sdk)),
        clock,
      },
      lifecycle,
      forget,
    );
  }
}

export function createE2BSandbox(options?: E2BSandboxOptions): E2BSandbox {
  return new E2BSandbox(options);
}
