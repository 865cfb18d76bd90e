/**
 * The pool's session runtime: one isolated, stateful Python kernel plus its own /mnt/data per
 * identifier, forked from a warm zygote (see session-manager.ts and python/tidepool_zygote.py).
 */
import type { Logger } from 'pino';
import type { PoolSettings, SessionManager } from '../types.js';
import { PoolSessionManager } from './session-manager.js';

export { PoolSessionManager } from './session-manager.js';
export type { SessionManagerOptions } from './session-manager.js';

/** Creates the runtime; nothing starts until `start()` or the first session call. */
export function createSessionManager(settings: PoolSettings, options?: { logger?: Logger }): SessionManager {
  return new PoolSessionManager(settings, options);
}
