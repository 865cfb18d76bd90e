/**
 * Memory for the code of executions that wait or run. Each request body is held by the server
 * until its execution ends (as bytes, then as the parsed string, then as the frame sent to the
 * kernel), and executions of one session wait their turn: without a bound, clients could queue
 * gigabytes of code behind one busy cell, synchronously (one connection each) or asynchronously
 * (no connection at all). Room is reserved from the body's declared length before it is read, so
 * a refused body costs nothing; a body without a declared length reserves the most a body may be.
 *
 * A body that declares at most SMALL_BODY_BYTES is never refused: it counts against the budget but
 * may take it past its limit. Otherwise two requests that declare 32 MB and never send it (or one
 * session's two largest bodies queued behind its own busy cell) would refuse every other session's
 * executions, however small, for minutes. Small bodies are bounded by the connection limits (a
 * synchronous execution holds its connection) and by MAX_RUNNING (asynchronous ones).
 */
import type { BodySource } from './context.js';
import { PoolApiError } from './errors.js';
import { readJsonBody, tooLargeBody } from './validation.js';

/** Seconds a refused client is asked to wait: executions usually end within that. */
const RETRY_AFTER_SECONDS = 5;
const MIB = 1024 * 1024;
/** Bodies up to this declared length always run (typical cells are far smaller). */
export const SMALL_BODY_BYTES = 16 * 1024;

export class CodeBudget {
  #usedBytes = 0;

  constructor(readonly maxBytes: number) {}

  /** Bytes reserved by executions that wait or run now. */
  get usedBytes(): number {
    return this.#usedBytes;
  }

  /**
   * Reserves `bytes`; answers the function that gives them back (once), or undefined when they do
   * not fit. With `evenIfFull`, the bytes are reserved past the limit too (small bodies).
   */
  reserve(bytes: number, evenIfFull = false): (() => void) | undefined {
    if (!evenIfFull && this.#usedBytes + bytes > this.maxBytes) return undefined;
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
 * Reads an execution's JSON body within the pool's code budget. The caller owns the returned
 * `release` and calls it once the execution has ended (or was refused); past the budget the request
 * is answered 429 `ServerBusy` with Retry-After, its body drained but never kept.
 */
export async function readBudgetedBody(source: BodySource, budget: CodeBudget, maxBodyBytes: number): Promise<{ body: unknown; release: () => void }> {
  const declared = Number(source.request.headers.get('content-length') ?? NaN);
  // Refused as too large by its declared length, before any room is reserved or a byte read.
  if (declared > maxBodyBytes) throw tooLargeBody(maxBodyBytes);
  const known = Number.isInteger(declared) && declared >= 0;
  const bytes = known ? declared : maxBodyBytes;
  const release = budget.reserve(bytes, known && bytes <= SMALL_BODY_BYTES);
  if (!release) {
    // Drained, so that a client still sending reads this answer on a connection that stays usable
    // instead of meeting a reset in the middle of its body.
    await discardBody(source, maxBodyBytes);
    throw new PoolApiError(
      429,
      'ServerBusy',
      `This pool already holds ${Math.round(budget.usedBytes / MIB)} MB of code from executions that wait or run, and a request body of up to ${Math.round(bytes / MIB)} MB would pass its ${Math.round(budget.maxBytes / MIB)} MB limit (--pending-code-mb / TIDEPOOL_POOL_PENDING_CODE_MB). Retry after the executions already sent have finished, or send smaller code.`,
      { headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) } },
    );
  }
  try {
    return { body: await readJsonBody(source.request, maxBodyBytes, source.lengthEnforced), release };
  } catch (error) {
    release();
    throw error;
  }
}

/**
 * Reads a body to its end and keeps none of it. On a socket it is dropped as Node reads it (no web
 * stream in between, which would cost far more CPU per byte); a body that passes `maxBytes` (one
 * sent without a length) ends its connection instead.
 */
async function discardBody(source: BodySource, maxBytes: number): Promise<void> {
  const { incoming } = source;
  if (!incoming) {
    await discardStream(source.request, maxBytes);
    return;
  }
  if (incoming.readableEnded || incoming.destroyed) return;
  await new Promise<void>((resolve) => {
    let total = 0;
    const onData = (chunk: Buffer) => {
      total += chunk.length;
      if (total > maxBytes) incoming.socket.destroy();
    };
    const done = () => {
      incoming.off('data', onData).off('end', done).off('close', done).off('error', done);
      resolve();
    };
    incoming.on('data', onData).on('end', done).on('close', done).on('error', done);
    incoming.resume();
  });
}

/** The same for a body that is a web stream only (callers of the app's own fetch handler). */
async function discardStream(request: Request, maxBytes: number): Promise<void> {
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
