/** The options both cloud sandbox services (E2B, Daytona) take besides their own settings. */
import type { Env } from '../config/settings.js';
import type { CloudSessionRegistry } from './cloud-session.js';
import type { Clock } from './lifecycle.js';
import type { OutputCapOptions } from './output-cap.js';
import type { SandboxOptions } from './types.js';

export interface CloudSandboxOptions<Context, Sdk> extends SandboxOptions, OutputCapOptions {
  /**
   * Session identifier → the service's sandbox id (and interpreter context). Share one map between
   * instances so a session opened again reconnects to its running sandbox instead of creating a new one.
   */
  sessionRegistry?: CloudSessionRegistry<Context>;
  /** Replaces the SDK at its boundary (tests); production leaves it out and the SDK is imported lazily. */
  sdk?: Partial<Sdk>;
  /** Where settings are read from; default process.env. */
  env?: Env;
  clock?: Clock;
}
