/**
 * Draining a pool node before it stops, so a rolling restart loses no running cell: once draining,
 * the node takes no new identifiers (503 with Retry-After, which a load balancer or client retries),
 * keeps serving the sessions it holds, and reports when no request or background execution is left.
 */
import type { MiddlewareHandler } from 'hono';
import type { SessionManager } from '../types.js';
import type { PoolEnv } from './context.js';
import { errorBody, PoolApiError } from './errors.js';
import { queryParam } from './validation.js';

/** Seconds a refused client is asked to wait: about the time a restarted node takes to boot. */
export const DRAIN_RETRY_AFTER_SECONDS = 5;
const POLL_MS = 50;

export interface DrainOutcome {
  /** True when everything in flight finished before the bound. */
  finished: boolean;
  /** Requests and background executions still running when the drain ended. */
  unfinished: number;
}

export class NodeDrain {
  #draining = false;
  #requests = 0;

  /** `backgroundRunning` counts asynchronous executions, which outlive the request that started them. */
  constructor(private readonly backgroundRunning: () => number) {}

  get draining(): boolean {
    return this.#draining;
  }

  /** Requests being answered plus background executions. */
  get inFlight(): number {
    return this.#requests + this.backgroundRunning();
  }

  /**
   * Counts every request it lets through; while draining, refuses any that names an identifier this
   * node does not hold (such a request would start a session on a node about to stop).
   */
  gate(sessionManager: SessionManager): MiddlewareHandler<PoolEnv> {
    return async (c, next) => {
      if (this.#draining) {
        const identifier = queryParam(c.req.url, 'identifier');
        if (identifier && !sessionManager.getSession(identifier)) return refuse(c.get('traceId'));
      }
      this.#requests++;
      try {
        await next();
      } finally {
        this.#requests--;
      }
    };
  }

  /** Starts draining and resolves once nothing is in flight, or after `timeoutMs` at the latest. */
  async drain(timeoutMs: number): Promise<DrainOutcome> {
    this.#draining = true;
    const deadline = Date.now() + timeoutMs;
    // Polling: requests end inside Hono and executions inside the store; neither announces it.
    while (this.inFlight > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(POLL_MS, Math.max(1, deadline - Date.now()))));
    }
    const unfinished = this.inFlight;
    return { finished: unfinished === 0, unfinished };
  }
}

function refuse(traceId: string): Response {
  const error = new PoolApiError(
    503,
    'NodeDraining',
    `This pool node is draining before it stops and takes no new sessions. Send the request again after ${DRAIN_RETRY_AFTER_SECONDS} seconds (Retry-After); by then a load balancer routes it to a node that takes new sessions, or this node is back.`,
    { target: 'identifier' },
  );
  const text = JSON.stringify(errorBody(error, traceId));
  return new Response(text, {
    status: 503,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(text)),
      'x-ms-error-code': error.azureCode,
      'retry-after': String(DRAIN_RETRY_AFTER_SECONDS),
    },
  });
}
