/**
 * What a client can rely on when it sends more than the pool accepts. The pool answers 413 as
 * soon as it knows (from Content-Length, or once the counted bytes pass the limit) and closes the
 * connection; a client still sending the body then sees either that answer or the connection
 * closed under it, depending on how far its send got — which varies with the machine's load.
 */
import { expect } from 'vitest';

/** Socket errors that mean "the server closed the connection while the body was still going out". */
const CLOSED_UNDER_SEND = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET']);

export type OversizedOutcome = { kind: 'answered'; status: number; errorCode: string | null } | { kind: 'closed'; code: string };

/** Sends the request; an answer or a closed connection both count, any other failure throws. */
export async function sendOversized(url: string, init: RequestInit): Promise<OversizedOutcome> {
  try {
    const response = await fetch(url, init);
    await response.arrayBuffer().catch(() => undefined);
    return { kind: 'answered', status: response.status, errorCode: response.headers.get('x-ms-error-code') };
  } catch (error) {
    const code = socketCode(error);
    if (code !== undefined && CLOSED_UNDER_SEND.has(code)) return { kind: 'closed', code };
    throw error;
  }
}

/** 413 PayloadTooLarge, or the connection closed under the send: nothing else. */
export function expectRefused(outcome: OversizedOutcome): void {
  if (outcome.kind === 'answered') expect(outcome).toMatchObject({ status: 413, errorCode: 'PayloadTooLarge' });
  else expect([...CLOSED_UNDER_SEND]).toContain(outcome.code);
}

/** Polls until the session lists no file (a refused upload may be cleaned up just after the answer). */
export async function expectNoFiles(list: () => Promise<unknown[]>): Promise<void> {
  await expect.poll(list, { timeout: 30_000, interval: 50 }).toEqual([]);
}

function socketCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
