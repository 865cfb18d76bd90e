/** The words users read when a session ends or the pool is full: each says what to do next. */
import type { KernelExit } from '../../kernel/types.js';

export function describeExit(exit: KernelExit): string {
  if (exit.signal === 'SIGKILL') return 'was killed (SIGKILL: out of memory, a timeout, or the code ended it)';
  if (exit.signal === 'SIGXCPU') return 'used up its CPU-time limit (SIGXCPU)';
  if (exit.signal) return `was killed by ${exit.signal}`;
  return `exited with code ${exit.code}`;
}

/** For the next execution's stderr: what the session lost, and whether its files were kept. */
export function stateLostNotice(reason: string, filesKept: boolean): string {
  return filesKept
    ? `[tidepool] This session's previous kernel ${reason}, so its variables were lost; its /mnt/data files were kept. This code ran in a fresh kernel.\n`
    : `[tidepool] This session's previous kernel ${reason}, so its variables and its /mnt/data files were lost; this code ran in a fresh session.\n`;
}

/** For the first execution on an identifier whose session the pool held when it last stopped. */
export function poolRestartedNotice(): string {
  return "[tidepool] This session was lost when the pool restarted: its variables and its /mnt/data files are gone. This code ran in a fresh session.\n";
}

export function sessionLostMessage(reason: string): string {
  return `The session's kernel ${reason}, so its variables are gone. Run the code again: the next call on this identifier starts a fresh kernel, and its stderr says whether the files in /mnt/data were kept.`;
}

export function sessionDeletedMessage(): string {
  return 'The session was deleted while this call waited for it, so the code did not run. Run it again: the next call on this identifier starts a fresh session.';
}

export function poolFullMessage(maxSessions: number): string {
  return (
    `The session pool is full: all ${maxSessions} sessions are in use. ` +
    'Delete a session you no longer need (DELETE .../session?identifier=...), wait for idle sessions to cool down, or start the pool with a larger --max-sessions.'
  );
}
