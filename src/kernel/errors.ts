/** The kernel process went away (crash, kill, out of memory) or broke the protocol. */
export class KernelDiedError extends Error {
  constructor(
    message: string,
    readonly exit?: { code: number | null; signal: string | null },
  ) {
    super(message);
    this.name = 'KernelDiedError';
  }
}
