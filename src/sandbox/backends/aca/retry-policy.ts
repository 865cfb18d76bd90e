/**
 * When a failed data-plane request may be sent again.
 *
 * The rule: reads, deletes and uploads (which overwrite the same name with the same bytes) are
 * idempotent and retry on 408/429/502/503/504, connection failures and per-attempt timeouts.
 * A code execution is NOT idempotent — running `x += 1` twice is a different program — so it is
 * retried only when the service cannot have run it: a 429 or 503 answer (the front end refused
 * the request), or a connection that was never established (refused, DNS, connect timeout).
 * A reset, a 502/504 or a timeout after the request left may mean the code ran, so those are
 * reported, never repeated.
 */
import { SandboxError } from '../../../errors.js';

export type RequestSafety = 'idempotent' | 'execute';

export interface RetryBounds {
  /** Extra attempts after the first (default 4). */
  maxRetries: number;
  /** Stop retrying once this much time has passed since the first attempt (default 30 000). */
  maxRetryTimeMs: number;
  /** First backoff delay; doubles each retry, with jitter (default 250). */
  minDelayMs: number;
  /** Largest backoff delay (default 8 000). Retry-After from the service wins when longer, within maxRetryTimeMs. */
  maxDelayMs: number;
}

export const DEFAULT_RETRY_BOUNDS: RetryBounds = { maxRetries: 4, maxRetryTimeMs: 30_000, minDelayMs: 250, maxDelayMs: 8_000 };

/** Socket error codes that mean the request never reached the server. */
const NEVER_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

/** The low-level error code (ECONNRESET, UND_ERR_SOCKET…) somewhere in an error's cause chain. */
export function connectionErrorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^(E[A-Z]+|UND_ERR_[A-Z_]+)$/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

export function neverReachedServer(error: unknown): boolean {
  const code = connectionErrorCode(error);
  return code !== undefined && NEVER_SENT_CODES.has(code);
}

export function mayRetry(error: unknown, safety: RequestSafety): boolean {
  if (!(error instanceof SandboxError) || !error.isRetryable) return false;
  if (safety === 'idempotent') return true;
  if (error.statusCode === 429 || error.statusCode === 503) return true;
  return error.statusCode === undefined && neverReachedServer(error);
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfterMs(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
