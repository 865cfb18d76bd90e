/**
 * One log line per failure: the message at error level, and the stack only at debug level, so a
 * terminal shows what went wrong without a wall of frames (TIDEPOOL_LOG_LEVEL=debug adds them).
 */
import type pino from 'pino';

export function logFailure(logger: pino.Logger, what: string, error: unknown, fields: Record<string, unknown> = {}): void {
  const message = error instanceof Error ? error.message : typeof error === 'string' ? error : String(error);
  logger.error({ ...fields, error: message }, what);
  if (error instanceof Error && logger.isLevelEnabled('debug')) logger.debug({ ...fields, err: error }, `${what} (stack)`);
}
