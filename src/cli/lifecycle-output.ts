/** Lifecycle events for CLI users: a readable line on stderr, plus a structured record when asked. */
import type { Writable } from 'node:stream';
import { formatLifecycleLine, type LifecycleEvent, type LifecycleListener } from '../sandbox/lifecycle.js';

const EXCEPTION_TYPE = /^([A-Za-z_][A-Za-z0-9_.]*(?:Error|Exception|Interrupt|Exit|Warning)):/;

/**
 * A failed step's line names only the exception type (or nothing, for an error the command reports
 * itself): every command prints the full message once, right after.
 */
export function cliLine(event: LifecycleEvent): string {
  if (event.phase !== 'failed') return formatLifecycleLine(event);
  const type = EXCEPTION_TYPE.exec(event.message ?? '')?.[1];
  const { message: _message, ...rest } = event;
  return formatLifecycleLine(type ? { ...rest, message: type } : rest);
}

export async function cliLifecycleListener(stderr: Writable, env: Record<string, string | undefined>): Promise<LifecycleListener> {
  // TIDEPOOL_LOG_FILE: append JSON-lines lifecycle records there (the readable lines stay on stderr).
  const logFile = env.TIDEPOOL_LOG_FILE?.trim();
  let logger: { info(event: LifecycleEvent, message: string): void } | undefined;
  if (logFile) {
    const { pino } = await import('pino');
    logger = pino({ base: { component: 'sandbox' } }, pino.destination({ dest: logFile, sync: true, append: true }));
  }
  return (event) => {
    stderr.write(`${cliLine(event)}\n`);
    logger?.info(event, formatLifecycleLine(event));
  };
}

/**
 * Holds back the events from `finished` on until the caller knows whether the run's answer is
 * usable: `release(true)` prints them as they were, `release(false)` turns `finished` into `failed`.
 */
export function heldLifecycle(listener: LifecycleListener): { listener: LifecycleListener; release(succeeded: boolean): void } {
  let held: LifecycleEvent[] | undefined;
  return {
    listener: (event) => {
      if (event.phase === 'finished') held ??= [];
      if (held) held.push(event);
      else listener(event);
    },
    release: (succeeded) => {
      const events = held ?? [];
      held = undefined;
      for (const event of events) {
        if (event.phase === 'finished' && !succeeded) {
          const { stepMs: _stepMs, ...rest } = event;
          listener({ ...rest, phase: 'failed' });
        } else {
          listener(event);
        }
      }
    },
  };
}
