/**
 * Every failure leaves the server as Azure's error envelope
 * `{"error":{"code","message","target"?,"traceId"}}` with an `x-ms-error-code` header.
 * Handlers throw; the app's single onError calls `toApiError` and renders it.
 * Answers never carry what only the server should know: a 5xx from the runtime gets a fixed
 * message (the detail goes to the server log under the traceId), and a runtime's 4xx message loses
 * any traceback and any path outside /mnt/data.
 */
import { DataPathError } from '../../kernel/data-paths.js';
import { PoolError, type PoolErrorCode } from '../types.js';

/** The error codes this server emits (Azure's documented ones first). */
export type AzureErrorCode =
  | 'SessionRequestValidationFailed'
  | 'SessionRequestNotSupported'
  | 'SessionWithIdentifierNotFound'
  | 'InternalServerError'
  | 'Unauthorized'
  | 'Forbidden'
  | 'AuthenticationUnavailable'
  | 'NotFound'
  | 'PayloadTooLarge'
  | 'SessionPoolFull'
  | 'SessionLost'
  | 'Timeout'
  | 'LegacyApiNotSupported'
  | 'ExecutionResultEvicted'
  | 'TooManyExecutions'
  | 'ServerBusy'
  | 'ServiceUnavailable'
  | 'NodeDraining';

export interface ApiErrorOptions {
  target?: string;
  headers?: Record<string, string>;
  cause?: unknown;
}

/** An error with its HTTP status and Azure error code already decided. */
export class PoolApiError extends PoolError {
  readonly target?: string;
  readonly headers: Record<string, string>;

  constructor(
    readonly status: number,
    readonly azureCode: AzureErrorCode,
    message: string,
    options: ApiErrorOptions = {},
  ) {
    super(poolCodeFor(status), message, { cause: options.cause });
    this.name = 'PoolApiError';
    this.target = options.target;
    this.headers = options.headers ?? {};
  }
}

function poolCodeFor(status: number): PoolErrorCode {
  if (status === 404 || status === 410) return 'not_found';
  if (status === 413) return 'too_large';
  if (status === 429) return 'capacity';
  if (status >= 500) return 'internal';
  return 'invalid_input';
}

export function validationError(message: string, target?: string): PoolApiError {
  return new PoolApiError(400, 'SessionRequestValidationFailed', message, { target });
}

/**
 * The runtime's PoolError codes as HTTP. A full pool answers 404 because that is what Azure
 * documents for "no more sessions being allocated" (clients only look at the status class).
 */
const POOL_ERROR_HTTP: Record<PoolErrorCode, { status: number; code: AzureErrorCode; headers?: Record<string, string> }> = {
  invalid_input: { status: 400, code: 'SessionRequestValidationFailed' },
  not_found: { status: 404, code: 'NotFound' },
  capacity: { status: 404, code: 'SessionPoolFull', headers: { 'Retry-After': '5' } },
  session_lost: { status: 500, code: 'SessionLost' },
  too_large: { status: 413, code: 'PayloadTooLarge' },
  timeout: { status: 504, code: 'Timeout' },
  unavailable: { status: 503, code: 'ServiceUnavailable', headers: { 'Retry-After': '5' } },
  internal: { status: 500, code: 'InternalServerError' },
};

const CAPACITY_HINT =
  ' The session pool is full: end sessions you no longer need (DELETE /session?identifier=...), wait for idle sessions to expire, or restart the pool with a larger --max-sessions.';

const LOG_HINT = "The server log has the details under this answer's traceId.";

/** What a client is told for the runtime's server-side failures; their own messages stay in the log. */
const SERVER_FAILURE_MESSAGES: Partial<Record<PoolErrorCode, string>> = {
  session_lost: `The session's kernel stopped during the request (most often because the code used more memory than the pool allows). The session's variables are gone; send the request again: it runs in a fresh kernel, whose stderr says whether the files in /mnt/data were kept. ${LOG_HINT}`,
  timeout: `The pool did not finish the request in time; send it again. ${LOG_HINT}`,
  unavailable: 'The session pool is shutting down; send the request again once it (or another node) is running.',
  internal: `The pool hit an unexpected error; send the request again, and report it if it persists. ${LOG_HINT}`,
};

export function toApiError(error: unknown): PoolApiError {
  if (error instanceof PoolApiError) return error;
  if (error instanceof DataPathError) return validationError(error.message, 'name');
  if (error instanceof PoolError) {
    const mapped = POOL_ERROR_HTTP[error.code] ?? POOL_ERROR_HTTP.internal;
    let message = mapped.status >= 500 ? (SERVER_FAILURE_MESSAGES[error.code] ?? SERVER_FAILURE_MESSAGES.internal!) : scrubDetail(error.message);
    if (error.code === 'capacity' && !/max-sessions/.test(message)) message += CAPACITY_HINT;
    return new PoolApiError(mapped.status, mapped.code, message, { headers: mapped.headers, cause: error });
  }
  return new PoolApiError(500, 'InternalServerError', SERVER_FAILURE_MESSAGES.internal!, { cause: error });
}

const MAX_DETAIL_CHARS = 600;
/** An absolute path that is not the session's own /mnt/data, after a space, quote, bracket or `=`/`:`. */
const HOST_PATH = /(^|[\s"'`(=:,[])\/(?!mnt\/data(?:[/\s"'`),.:;\]]|$))[^\s"'`),;\]]+/g;

/** A runtime message fit for a client: no traceback, no host path, one line of bounded length. */
export function scrubDetail(message: string): string {
  let text = message;
  const traceback = text.indexOf('Traceback (most recent call last)');
  if (traceback !== -1) text = text.slice(0, traceback);
  text = text.replace(HOST_PATH, '$1<path>').replace(/\s+/g, ' ').trim();
  if (text.length > MAX_DETAIL_CHARS) text = `${text.slice(0, MAX_DETAIL_CHARS)}…`;
  return text || 'The request could not be completed.';
}

export function errorBody(error: PoolApiError, traceId: string): { error: Record<string, string> } {
  const body: Record<string, string> = { code: error.azureCode, message: error.message };
  if (error.target) body.target = error.target;
  body.traceId = traceId;
  return { error: body };
}
