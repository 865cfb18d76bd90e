import { SandboxError } from '../errors.js';

/** The kernel process went away (crash, kill, out of memory) or broke the protocol: its state is gone. */
export class KernelDiedError extends SandboxError {
  constructor(
    message: string,
    readonly exit?: { code: number | null; signal: string | null },
  ) {
    super('session_lost', message);
  }
}
