/**
 * Memory for the code of executions that wait or run. Each request body is held by the server
 * until its execution ends (as bytes, then as the parsed string, then as the frame sent to the
 * kernel), and executions of one session wait their turn: without a bound, clients could queue
 * gigabytes of code behind one busy cell, synchronously (one connection each) or asynchronously
 * (no connection at all). Room is reserved from the body's declared length before it is read, so
 * a refused body costs nothing; a body without a declared length reserves the most a body may be.
 */
import { PoolApiError } from './errors.js';
import { readJsonBody } from './validation.js';

/** Seconds a refused client is asked to wait: executions usually end within that. */
const RETRY_AFTER_SECONDS = 5;
const MIB = 1024 * 1024;

export class CodeBudget {
  #usedBytes = 0;

  constructor(readonly maxBytes: number) {}

  /** Bytes reserved by executions that wait or run now. */
  get usedBytes(): number {
    return this.#usedBytes;
  }

  /** Reserves `bytes`; answers the function that gives them back (once), or undefined when they do not fit. */
  reserve(bytes: number): (() => void) | undefined {
    if (this.#usedBytes + bytes > this.maxBytes) return undefined;
    this.#usedBytes += bytes;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#usedBytes -= bytes;
    };
  }
}

/**
 * Reads an execution's JSON body (see readJsonBody for `lengthEnforced`) within the pool's code budget. The caller owns the returned
 * `release` and calls it once the execution has ended (or was refused); past the budget the request
 * is answered 429 `ServerBusy` with Retry-After, before its body is read.
 */
export async function readBudgetedBody(
  request: Request,
  lengthEnforced: boolean,
  budget: CodeBudget,
  maxBodyBytes: number,
): Promise<{ body: unknown; release: () => void }> {
  const declared = Number(request.headers.get('content-length') ?? NaN);
  const bytes = Number.isInteger(declared) && declared >= 0 && declared <= maxBodyBytes ? declared : maxBodyBytes;
  const release = budget.reserve(bytes);
  if (!release) {
    // Read and dropped, never kept, so that the client, still sending, gets the answer on a connection
    // that stays usable instead of a reset in the middle of its upload.
    await discardBody(request, maxBodyBytes);
    throw new PoolApiError(
      429,
      'ServerBusy',
      `This pool already holds ${Math.round(budget.usedBytes / MIB)} MB of code from executions that wait or run, and a request body of up to ${Math.round(bytes / MIB)} MB would pass its ${Math.round(budget.maxBytes / MIB)} MB limit (--pending-code-mb / TIDEPOOL_POOL_PENDING_CODE_MB). Retry after the executions already sent have finished, or send smaller code.`,
      { headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) } },
    );
  }
  try {
    return { body: await readJsonBody(request, maxBodyBytes, lengthEnforced), release };
  } catch (error) {
    release();
    throw error;
  }
}

/** Reads a body to its end (or `maxBytes`, past which the rest is left unread) and keeps none of it. */
async function discardBody(request: Request, maxBytes: number): Promise<void> {
  if (!request.body) return;
  const reader = request.body.getReader();
  let total = 0;
  try {
    for (let chunk = await reader.read(); !chunk.done && total <= maxBytes; chunk = await reader.read()) total += chunk.value.byteLength;
  } catch {
    // An interrupted body changes nothing: the request is refused all the same.
  } finally {
    reader.releaseLock();
  }
}
