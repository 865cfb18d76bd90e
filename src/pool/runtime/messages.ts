/** The words users read when a session ends or the pool is full: each says what to do next. */
import type { KernelExit } from '../../kernel/types.js';

export function describeExit(exit: KernelExit): string {
  if (exit.signal === 'SIGKILL') return 'was killed (SIGKILL: out of memory, a timeout, or the code ended it)';
  if (exit.signal === 'SIGXCPU') return 'used up its CPU-time limit (SIGXCPU)';
  if (exit.signal) return `was killed by ${exit.signal}`;
  return `exited with code ${exit.code}`;
}

export function stateLostNotice(reason: string): string {
  return `[tidepool] This session's previous Python kernel ${reason}, so its variables and its /mnt/data files were lost; this code ran in a fresh session.\n`;
}

export function sessionLostMessage(reason: string): string {
  return `The session's Python kernel ${reason}; its variables and files are gone. Run the code again: the next call on this identifier starts a fresh session.`;
}

export function poolFullMessage(maxSessions: number): string {
  return (
    `The session pool is full: all ${maxSessions} sessions are in use. ` +
    'Delete a session you no longer need (DELETE .../session?identifier=...), wait for idle sessions to cool down, or start the pool with a larger --max-sessions.'
  );
}
