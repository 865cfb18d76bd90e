/**
 * The one place that turns a data-plane HTTP failure into a sandbox error, so every caller sees
 * the same classes and the same advice for the same failure.
 * Every request of the ACA client goes through `errorFromResponse`, whatever the API generation.
 */
import {
  AuthenticationError,
  CapacityError,
  InvalidInputError,
  NotFoundError,
  SandboxError,
  SessionLostError,
  SandboxTimeoutError,
  TransportError,
  type SandboxErrorOptions,
} from '../../../errors.js';
import { ACCESS_TOKEN_ENV, type AcaAuthMode } from './settings.js';

/** The built-in role an identity needs on the session pool to run code and move files. */
export const SESSION_EXECUTOR_ROLE = 'Azure ContainerApps Session Executor';

export interface FailedResponse {
  status: number;
  url: string;
  /** Response text, already read (may be empty). */
  body: string;
  /** Seconds or an HTTP date, as sent. */
  retryAfter?: string | null;
  /** What the caller was doing, e.g. "execute code" or "download report.csv". */
  operation: string;
  /** How the request was authorised; the advice for a 401 depends on it. Default `azure`. */
  auth?: AcaAuthMode;
}

type Build = (message: string, options: SandboxErrorOptions, response: FailedResponse) => SandboxError;

interface Row {
  build: Build;
  /** Safe to repeat for idempotent requests. */
  retryable: boolean;
  hint: (response: FailedResponse) => string;
}

const transport: Build = (message, options) => new TransportError(message, options);

const UNAUTHORIZED_HINTS: Record<AcaAuthMode, string> = {
  none: `The pool requires an API key and none was sent: set ${ACCESS_TOKEN_ENV} to one of its keys (the --api-key of \`tidepool pool serve\`), or pass accessToken.`,
  token: `The token in ${ACCESS_TOKEN_ENV} (or accessToken) was rejected: for a Tidepool pool use one of its API keys; for Azure get a fresh token (\`az account get-access-token --resource https://dynamicsessions.io\`).`,
  azure:
    `The Azure token was rejected. Sign in again (\`az login\`) or check the managed identity, or set ${ACCESS_TOKEN_ENV} to a bearer token. ` +
    `The identity also needs the "${SESSION_EXECUTOR_ROLE}" role on the pool (docs/azure.md).`,
};

const TABLE: Record<number, Row> = {
  400: {
    build: (message, options, response) =>
      serviceCode(response.body) === 'SessionWithIdentifierNotFound' ? new NotFoundError(message, options) : new InvalidInputError(message, options),
    retryable: false,
    hint: () => 'The service rejected the request; check the session identifier, file name and ACA_API_VERSION.',
  },
  401: {
    build: (message, options) => new AuthenticationError(message, options),
    retryable: false,
    hint: (response) => UNAUTHORIZED_HINTS[response.auth ?? 'azure'],
  },
  403: {
    build: (message, options) => new AuthenticationError(message, options),
    retryable: false,
    hint: () => `The identity is signed in but not allowed: assign it the "${SESSION_EXECUTOR_ROLE}" role on the session pool (docs/azure.md shows the az command).`,
  },
  404: {
    build: (message, options, response) => (looksLikeCapacity(response.body) ? new CapacityError(message, options) : new NotFoundError(message, options)),
    retryable: false,
    hint: (response) =>
      looksLikeCapacity(response.body)
        ? 'The pool has no free session; wait for idle sessions to expire, delete sessions you no longer need, or raise the pool\'s max sessions.'
        : `Nothing at this URL: check that ACA_POOL_MANAGEMENT_ENDPOINT is the pool's full management endpoint (…/sessionPools/<pool>) and that the name exists (call list()).`,
  },
  408: {
    build: (message, options) => new SandboxTimeoutError(message, 0, options),
    retryable: true,
    hint: () => 'The service timed out waiting for the request; try again.',
  },
  413: {
    build: (message, options) => new InvalidInputError(message, options),
    retryable: false,
    hint: () => 'The upload is larger than the service accepts (128 MB on Azure); split the file.',
  },
  429: {
    build: (message, options) => new CapacityError(message, options),
    retryable: true,
    hint: (response) => `The service is rate limiting${response.retryAfter ? ` (Retry-After: ${response.retryAfter})` : ''}; slow down or try again later.`,
  },
  500: {
    // A Tidepool pool says SessionLost when the session's kernel died; the variables are gone.
    build: (message, options, response) => (serviceCode(response.body) === 'SessionLost' ? new SessionLostError(message, options) : new TransportError(message, options)),
    retryable: false,
    hint: (response) =>
      serviceCode(response.body) === 'SessionLost'
        ? "The session's kernel stopped and its variables are lost; run the code again to start fresh."
        : 'The service failed; try again, and report it if it persists.',
  },
  502: { build: transport, retryable: true, hint: () => 'A gateway in front of the pool failed; try again.' },
  503: {
    build: (message, options) => new CapacityError(message, options),
    retryable: true,
    hint: () => 'The pool is busy or full; try again shortly, or delete sessions you no longer need.',
  },
  504: {
    build: (message, options, response) => (serviceCode(response.body) === 'Timeout' ? new SandboxTimeoutError(message, 0, options) : new TransportError(message, options)),
    retryable: true,
    hint: () => 'A gateway in front of the pool timed out; try again, or use a shorter execution.',
  },
};

export function errorFromResponse(response: FailedResponse): SandboxError {
  const row = TABLE[response.status];
  const detail = serviceMessage(response.body);
  const hint = row?.hint(response) ?? (response.status >= 500 ? 'The service failed; try again, and report it if it persists.' : 'Unexpected response from the service.');
  const message = `Could not ${response.operation}: HTTP ${response.status}${detail ? ` (${detail})` : ''} from ${response.url}. ${hint}`;
  const options: SandboxErrorOptions = {
    statusCode: response.status,
    url: response.url,
    responseBody: response.body,
    isRetryable: row?.retryable ?? false,
  };
  return (row?.build ?? transport)(message, options, response);
}

/** Azure-Core error envelope `{"error":{"code","message"}}`, else the first line of a text body. */
function serviceMessage(body: string): string {
  const parsed = parseJson(body);
  const error = (parsed as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  if (error && typeof error.message === 'string') return typeof error.code === 'string' ? `${error.code}: ${error.message}` : error.message;
  const text = body.trim().split('\n')[0] ?? '';
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

function serviceCode(body: string): string | undefined {
  const code = (parseJson(body) as { error?: { code?: unknown } } | undefined)?.error?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Azure answers 404 (not 429) when a pool cannot allocate another session. */
function looksLikeCapacity(body: string): boolean {
  return /SessionPoolFull|capacity|no more sessions|maximum number of sessions|max(imum)? ?sessions|pool is full/i.test(body);
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}
