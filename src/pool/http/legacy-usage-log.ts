/**
 * Reports clients that still call the legacy python/* routes: one warn line per client (its user
 * agent and address) per hour, and at most a few lines a minute in all, so a client that polls, or
 * many clients at once, cannot flood the log. Lines that were held back are counted in the next one.
 */
import type { Logger } from 'pino';

export interface LegacyUsageLogOptions {
  /** A client is reported again after this long. Default one hour. */
  perClientIntervalMs?: number;
  /** At most this many lines per minute, all clients together. Default 10. */
  maxLinesPerMinute?: number;
  now?: () => number;
}

export interface LegacyCall {
  route: string;
  userAgent: string | undefined;
  remoteAddress: string | undefined;
}

/** Clients remembered at once; the oldest is forgotten first (and may be reported again). */
const MAX_CLIENTS = 1000;
const MINUTE_MS = 60_000;
const MAX_USER_AGENT_CHARS = 200;

export class LegacyUsageLog {
  readonly #lastReported = new Map<string, number>();
  readonly #perClientIntervalMs: number;
  readonly #maxLinesPerMinute: number;
  readonly #now: () => number;
  #windowStart = Number.NEGATIVE_INFINITY;
  #linesInWindow = 0;
  #heldBack = 0;

  constructor(
    private readonly logger: Logger,
    options: LegacyUsageLogOptions = {},
  ) {
    this.#perClientIntervalMs = options.perClientIntervalMs ?? 60 * MINUTE_MS;
    this.#maxLinesPerMinute = options.maxLinesPerMinute ?? 10;
    this.#now = options.now ?? Date.now;
  }

  /** Notes one call; true when it was written to the log. */
  record(call: LegacyCall): boolean {
    const now = this.#now();
    const userAgent = (call.userAgent ?? '').slice(0, MAX_USER_AGENT_CHARS);
    const key = `${userAgent}\u0000${call.remoteAddress ?? ''}`;
    const last = this.#lastReported.get(key);
    if (last !== undefined && now - last < this.#perClientIntervalMs) return false;
    if (now - this.#windowStart >= MINUTE_MS) {
      this.#windowStart = now;
      this.#linesInWindow = 0;
    }
    if (this.#linesInWindow >= this.#maxLinesPerMinute) {
      this.#heldBack += 1;
      return false;
    }
    this.#linesInWindow += 1;
    this.#lastReported.delete(key);
    this.#lastReported.set(key, now);
    if (this.#lastReported.size > MAX_CLIENTS) this.#lastReported.delete(this.#lastReported.keys().next().value!);
    const heldBack = this.#heldBack;
    this.#heldBack = 0;
    this.logger.warn(
      { route: call.route, userAgent: userAgent || undefined, remoteAddress: call.remoteAddress, ...(heldBack > 0 && { otherCallsNotLogged: heldBack }) },
      'legacy python/* API used: this client should move to POST code/execute (api-version 2024-02-02-preview) or POST executions (2024-10-02-preview and later); --legacy-api off refuses these routes',
    );
    return true;
  }
}
