/** What a command needs from the outside world, injected so commands can be tested in-process. */
import type { Writable } from 'node:stream';

export interface CliContext {
  stdout: Writable;
  stderr: Writable;
  env: Record<string, string | undefined>;
  /** Set by a command to choose the process exit code. */
  exitCode: number;
  /** Resolves when the user asks to stop (Ctrl-C / SIGTERM); long-running commands wait on it. */
  shutdownSignal: AbortSignal;
}

export const EXIT_OK = 0;
/** The user's code (or the checked thing) failed. */
export const EXIT_FAILURE = 1;
/** Usage or configuration problem: the message says how to fix it. */
export const EXIT_USAGE = 2;
