/** Lifecycle events for CLI users: a readable line on stderr, plus a structured record when asked. */
import type { Writable } from 'node:stream';
import { pino } from 'pino';
import { formatLifecycleLine, type LifecycleListener } from '../index.js';

export function cliLifecycleListener(stderr: Writable, env: Record<string, string | undefined>): LifecycleListener {
  // TIDEPOOL_LOG_FILE: append JSON-lines lifecycle records there (the readable lines stay on stderr).
  const logFile = env.TIDEPOOL_LOG_FILE?.trim();
  const logger = logFile ? pino({ base: { component: 'sandbox' } }, pino.destination({ dest: logFile, sync: true, append: true })) : undefined;
  return (event) => {
    stderr.write(`${formatLifecycleLine(event)}\n`);
    logger?.info(event, formatLifecycleLine(event));
  };
}
