/**
 * Sends one data-plane request: builds the URL, attaches the bearer token, bounds each attempt
 * with a timeout, retries by the rules in retry-policy.ts and maps failures through http-errors.ts.
 *
 * Requests go through undici's `request` on keep-alive agents shared by every client in the
 * process: no TCP (or TLS) set-up per call and none of the stream and header objects the WHATWG
 * `fetch` builds for each request, which cost more than a warm pool cell itself. An injected
 * `exchange` (the embedded pool's own app, called in process) or `fetch` (tests) replaces it.
 * A process that sends only a few requests (a CLI command) can ask for Node's own http instead
 * (`httpClient: 'node'`), which costs nothing to load.
 */
import pRetry from 'p-retry';
import type { Logger } from 'pino';
import type { Agent } from 'undici';
import { SandboxError, SandboxTimeoutError, TransportError } from '../../../errors.js';
import { recorders } from '../../../telemetry/recorders.js';
import { errorFromResponse } from './http-errors.js';
import { nodeHttpExchange, type ExchangeRequest } from './node-http-exchange.js';
import { DEFAULT_RETRY_BOUNDS, mayRetry, connectionErrorCode, parseRetryAfterMs, type RequestSafety, type RetryBounds } from './retry-policy.js';
import type { AcaAuthMode } from './settings.js';
import type { TokenProvider } from './token-provider.js';

export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;

/**
 * What sends the requests: undici on keep-alive agents (the default: cheapest per request, for a
 * long-lived process), or Node's built-in http/https (nothing to load: for a process that sends a
 * handful of requests and exits, such as a CLI command).
 */
export type AcaHttpClient = 'undici' | 'node';

const USER_AGENT = `tidepool/0.1.0 (Language=TypeScript; node.js/${process.version})`;

/**
 * Sends one request whose body is whole (JSON or none) and reads the whole answer: the embedded
 * pool's app called in process. Multipart uploads still go through `fetch`.
 */
export type HttpExchange = (url: string, request: ExchangeRequest) => Promise<{ status: number; header(name: string): string | null; bytes: Uint8Array }>;

export interface AcaTransportOptions {
  endpoint: string;
  apiVersion: string;
  /** Where bearer tokens come from; absent, requests carry no Authorization header (a keyless local pool). */
  tokens?: TokenProvider;
  fetch?: typeof fetch;
  /** Sends requests without a multipart body instead of `fetch` or the HTTP client. */
  exchange?: HttpExchange;
  /** Default `undici`; see AcaHttpClient. An injected `fetch` wins over either. */
  httpClient?: AcaHttpClient;
  retry?: Partial<RetryBounds>;
  /** Per-attempt limit for requests that do not set their own (default 60 000). */
  requestTimeoutMs?: number;
  /** How requests are authorised, for the advice a 401 gets; default `azure`, or `none` without `tokens`. */
  auth?: AcaAuthMode;
  logger?: Logger;
}

export interface AcaRequest {
  method: 'GET' | 'POST' | 'DELETE';
  /** Operation path below the endpoint, already percent-encoded, e.g. `files/a%20b.txt/content`. */
  path: string;
  identifier?: string;
  query?: Record<string, string | undefined>;
  json?: unknown;
  form?: FormData;
  safety: RequestSafety;
  /** For messages: "execute code", "download a.txt". */
  operation: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** The response headers a caller reads, by case-insensitive name. */
export interface ResponseHeaders {
  get(name: string): string | null;
}

export interface AcaResponse {
  status: number;
  headers: ResponseHeaders;
  url: string;
  bytes: Uint8Array;
}

/**
 * undici is loaded on the first request, not when the package is imported: most importers (the
 * CLI's other commands, the local backend) never send one, and loading it costs tens of ms.
 */
let http: Promise<{ request: typeof import('undici').request; executeAgent: Agent; idempotentAgent: Agent }> | undefined;

function undiciClient() {
  http ??= import('undici').then(({ Agent, request }) => ({
    request,
    // Executions run user code: a connection that drops with one in flight leaves open whether it
    // ran, so they never queue behind another request on a connection (no pipelining).
    executeAgent: new Agent({ connections: null, pipelining: 1 }),
    // Reads and deletes may be repeated safely, so they may share a connection back to back.
    idempotentAgent: new Agent({ connections: null, pipelining: 4 }),
  }));
  return http;
}

/** Retry-After of a failed attempt, kept beside the error instead of on it. */
const retryAfterOf = new WeakMap<object, number>();

export class AcaTransport {
  readonly #fetch: typeof fetch | undefined;
  readonly #bounds: RetryBounds;
  readonly #requestTimeoutMs: number;

  constructor(private readonly options: AcaTransportOptions) {
    this.#fetch = options.fetch;
    this.#bounds = { ...DEFAULT_RETRY_BOUNDS, ...options.retry };
    this.#requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  }

  get apiVersion(): string {
    return this.options.apiVersion;
  }

  url(request: Pick<AcaRequest, 'path' | 'identifier' | 'query'>): string {
    const params = new URLSearchParams({ 'api-version': this.options.apiVersion });
    if (request.identifier !== undefined) params.set('identifier', request.identifier);
    for (const [key, value] of Object.entries(request.query ?? {})) if (value !== undefined) params.set(key, value);
    return `${this.options.endpoint}/${request.path}?${params.toString()}`;
  }

  async send(request: AcaRequest): Promise<AcaResponse> {
    const url = this.url(request);
    const startedAt = performance.now();
    let attempts = 0;
    const state = { refreshedToken: false };
    try {
      return await pRetry(
        async () => {
          attempts += 1;
          return this.#attempt(request, url, state);
        },
        {
          retries: this.#bounds.maxRetries,
          minTimeout: this.#bounds.minDelayMs,
          maxTimeout: this.#bounds.maxDelayMs,
          factor: 2,
          randomize: true,
          maxRetryTime: this.#bounds.maxRetryTimeMs,
          signal: request.signal,
          shouldRetry: ({ error }) => mayRetry(error, request.safety),
          onFailedAttempt: (context) => this.#beforeRetry(request, context, startedAt),
        },
      );
    } catch (error) {
      throw this.#explain(error, request, attempts, startedAt);
    }
  }

  async #attempt(request: AcaRequest, url: string, state: { refreshedToken: boolean }): Promise<AcaResponse> {
    const tokens = this.options.tokens;
    let token = await tokens?.getToken(request.signal);
    let response = await this.#fetchOnce(request, url, token);
    // A 401 may just mean the token expired under us: refresh once and send once more. The request
    // was rejected before it ran, so this is safe even for an execution.
    if (response.status === 401 && tokens && token !== undefined && !state.refreshedToken && tokens.invalidate(token)) {
      state.refreshedToken = true;
      this.options.logger?.info({ url }, 'ACA request got 401; refreshing the token and retrying once');
      token = await tokens.getToken(request.signal);
      response = await this.#fetchOnce(request, url, token);
    }
    if (response.status >= 200 && response.status < 300) return response;
    const error = errorFromResponse({
      status: response.status,
      url,
      body: new TextDecoder().decode(response.bytes),
      retryAfter: response.headers.get('retry-after'),
      operation: request.operation,
      auth: this.options.auth ?? (this.options.tokens ? 'azure' : 'none'),
    });
    const retryAfterMs = parseRetryAfterMs(response.headers.get('retry-after'));
    if (retryAfterMs !== undefined) retryAfterOf.set(error, retryAfterMs);
    throw error;
  }

  async #fetchOnce(request: AcaRequest, url: string, token: string | undefined): Promise<AcaResponse> {
    const timeoutMs = request.timeoutMs ?? this.#requestTimeoutMs;
    const headers: Record<string, string> = { 'user-agent': USER_AGENT, accept: 'application/json' };
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    const recording = recorders();
    if (recording) (await recording).injectTraceContext(headers);
    const { signal, timedOut, done } = attemptSignal(timeoutMs, request.signal);
    let body: string | FormData | undefined;
    if (request.json !== undefined) {
      headers['content-type'] = 'application/json; charset=utf-8';
      body = JSON.stringify(request.json);
    } else if (request.form) {
      body = request.form;
    }
    try {
      // Read the body inside the attempt, so a connection cut mid-body counts as this attempt's failure.
      return await this.#exchange(request, url, headers, body, signal);
    } catch (error) {
      if (request.signal?.aborted) throw request.signal.reason;
      if (timedOut()) {
        throw new SandboxTimeoutError(
          `Could not ${request.operation}: no complete response within ${timeoutMs} ms from ${url}. ` +
            (request.safety === 'execute' ? 'Pass a larger timeoutMs if the code needs longer.' : 'The service may be overloaded; try again.'),
          timeoutMs,
          { url, isRetryable: true, cause: error },
        );
      }
      const code = connectionErrorCode(error) ?? (error as Error).message;
      throw new TransportError(`Could not ${request.operation}: connection to ${url} failed (${code}). Check that the pool endpoint is reachable.`, {
        url,
        isRetryable: true,
        cause: error,
      });
    } finally {
      done();
    }
  }

  async #exchange(request: AcaRequest, url: string, headers: Record<string, string>, body: string | FormData | undefined, signal: AbortSignal): Promise<AcaResponse> {
    // `typeof`, not `instanceof FormData`: merely reading the global FormData loads Node's own undici (~20 ms).
    const multipart = typeof body === 'object';
    if (this.options.exchange && !multipart) {
      const response = await this.options.exchange(url, { method: request.method, headers, body, signal });
      return { status: response.status, headers: { get: (name) => response.header(name) }, url, bytes: response.bytes };
    }
    if (this.#fetch || multipart) {
      // A multipart upload is rare and large: the platform fetch's form encoder (it knows the
      // platform's FormData) is worth its per-request cost.
      const send = this.#fetch ?? globalThis.fetch;
      const response = await send(url, { method: request.method, headers, body, signal });
      const bytes = new Uint8Array(await response.arrayBuffer());
      // Headers are read only on failures (Retry-After): a Headers object made for every answer
      // would cost the in-process pool as much again as reading its body.
      return { status: response.status, headers: { get: (name) => response.headers.get(name) }, url, bytes };
    }
    if (this.options.httpClient === 'node') {
      const response = await nodeHttpExchange(url, { method: request.method, headers, body, signal });
      return { status: response.status, headers: headerReader(response.headers), url, bytes: response.bytes };
    }
    const client = await undiciClient();
    const dispatcher = request.safety === 'execute' ? client.executeAgent : client.idempotentAgent;
    const response = await client.request(url, { method: request.method, headers, body, signal, dispatcher });
    const bytes = new Uint8Array(await response.body.arrayBuffer());
    return { status: response.statusCode, headers: headerReader(response.headers), url, bytes };
  }

  /** Waits out a Retry-After longer than the backoff, or gives up when it does not fit the time budget. */
  async #beforeRetry(request: AcaRequest, context: { error: Error; retriesLeft: number; retryDelay: number }, startedAt: number): Promise<void> {
    if (context.retriesLeft <= 0 || !mayRetry(context.error, request.safety)) return;
    const retryAfterMs = retryAfterOf.get(context.error) ?? 0;
    const elapsedMs = performance.now() - startedAt;
    if (elapsedMs + retryAfterMs > this.#bounds.maxRetryTimeMs) {
      const error = context.error as SandboxError;
      error.message += ` The service asked to wait ${retryAfterMs} ms (Retry-After), beyond the retry budget of ${this.#bounds.maxRetryTimeMs} ms, so Tidepool stopped retrying.`;
      throw error;
    }
    const waitMs = Math.max(retryAfterMs, context.retryDelay);
    this.options.logger?.warn({ operation: request.operation, error: context.error.message, retriesLeft: context.retriesLeft, waitMs }, 'ACA request failed; retrying');
    if (retryAfterMs > context.retryDelay) await sleep(retryAfterMs - context.retryDelay, request.signal);
  }

  /** Says in the message how many attempts were made, or why a retryable failure was not retried. */
  #explain(error: unknown, request: AcaRequest, attempts: number, startedAt: number): unknown {
    if (!(error instanceof SandboxError)) return error;
    const elapsedMs = Math.round(performance.now() - startedAt);
    if (attempts > 1) {
      error.message += ` Gave up after ${attempts} attempts in ${elapsedMs} ms (limits: ${this.#bounds.maxRetries} retries, ${this.#bounds.maxRetryTimeMs} ms).`;
    } else if (error.isRetryable && request.safety === 'execute' && !mayRetry(error, 'execute')) {
      error.message += ' Not retried: the code may already have run in the session, so running it again could repeat its effects; check the session before retrying.';
    }
    return error;
  }
}

/**
 * One attempt's signal: aborted by the caller's signal or after `timeoutMs` (with a TimeoutError,
 * as AbortSignal.timeout does). One controller and one timer, cleared when the attempt ends:
 * AbortSignal.timeout plus AbortSignal.any cost more per request than a warm in-process cell.
 */
function attemptSignal(timeoutMs: number, caller: AbortSignal | undefined): { signal: AbortSignal; timedOut: () => boolean; done: () => void } {
  const controller = new AbortController();
  let expired = false;
  const timer = setTimeout(() => {
    expired = true;
    controller.abort(new DOMException(`The attempt took longer than ${timeoutMs} ms.`, 'TimeoutError'));
  }, timeoutMs);
  // Like AbortSignal.timeout's, the timer alone does not keep the process alive.
  timer.unref();
  const onAbort = () => controller.abort(caller!.reason);
  if (caller?.aborted) controller.abort(caller.reason);
  else caller?.addEventListener('abort', onAbort, { once: true });
  return {
    signal: controller.signal,
    timedOut: () => expired,
    done: () => {
      clearTimeout(timer);
      caller?.removeEventListener('abort', onAbort);
    },
  };
}

function headerReader(headers: Record<string, string | string[] | undefined>): ResponseHeaders {
  return {
    get(name) {
      const value = headers[name.toLowerCase()];
      return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
    },
  };
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    signal?.throwIfAborted();
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
