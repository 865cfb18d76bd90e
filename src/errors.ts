/**
 * The one error root of the package: every error Tidepool throws on purpose — a sandbox backend, the
 * pool's runtime, the kernel driver, a setting — is a SandboxError. Callers branch on the class (or
 * `code`); messages always say what to do next. This module sits at the bottom of the layers so
 * that every layer can throw these without depending on a layer above it.
 */

export type SandboxErrorCode =
  | 'configuration'
  | 'invalid_input'
  | 'unsupported_language'
  | 'authentication'
  | 'not_found'
  | 'session_allocation'
  | 'session_lost'
  | 'capacity'
  | 'timeout'
  | 'transport'
  | 'too_large'
  | 'unavailable'
  | 'internal';

export interface SandboxErrorOptions {
  statusCode?: number;
  url?: string;
  responseBody?: string;
  isRetryable?: boolean;
  cause?: unknown;
}

export class SandboxError extends Error {
  readonly code: SandboxErrorCode;
  readonly statusCode?: number;
  readonly url?: string;
  readonly responseBody?: string;
  readonly isRetryable: boolean;

  constructor(code: SandboxErrorCode, message: string, options: SandboxErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.statusCode = options.statusCode;
    this.url = options.url;
    this.responseBody = options.responseBody;
    this.isRetryable = options.isRetryable ?? false;
  }
}

/** A setting is missing or wrong: an endpoint, a key, a binary. */
export class ConfigurationError extends SandboxError {
  constructor(message: string, options?: SandboxErrorOptions) {
    super('configuration', message, options);
  }
}

/** The caller passed something unusable (empty code, a bad identifier, a non-positive timeout). */
export class InvalidInputError extends SandboxError {
  constructor(message: string, options?: SandboxErrorOptions) {
    super('invalid_input', message, options);
  }
}

/**
 * The backend (or the pool behind it) does not run the requested language. The message names the
 * backends or pools that do; `language` and `offered` say it for code that branches on them.
 */
export class UnsupportedLanguageError extends SandboxError {
  constructor(
    readonly language: string,
    readonly offered: readonly string[],
    message: string,
    options?: SandboxErrorOptions,
  ) {
    super('unsupported_language', message, options);
  }
}

export class AuthenticationError extends SandboxError {
  constructor(message: string, options?: SandboxErrorOptions) {
    super('authentication', message, options);
  }
}

export class NotFoundError extends SandboxError {
  constructor(message: string, options?: SandboxErrorOptions) {
    super('not_found', message, options);
  }
}

/** The backend could not start or reach a session. */
export class SessionAllocationError extends SandboxError {
  constructor(message: string, options?: SandboxErrorOptions) {
    super('session_allocation', message, options);
  }
}

/** The session's kernel died (killed, out of memory, timed out hard); its variables are gone. */
export class SessionLostError extends SandboxError {
  constructor(message: string, options?: SandboxErrorOptions) {
    super('session_lost', message, options);
  }
}

/** The pool is full or the service is rate limiting. */
export class CapacityError extends SandboxError {
  constructor(message: string, options?: SandboxErrorOptions) {
    super('capacity', message, { isRetryable: true, ...options });
  }
}

export class SandboxTimeoutError extends SandboxError {
  readonly timeoutMs: number;
  constructor(message: string, timeoutMs: number, options?: SandboxErrorOptions) {
    super('timeout', message, options);
    this.timeoutMs = timeoutMs;
  }
}

/** An HTTP or connection failure talking to a remote backend. */
export class TransportError extends SandboxError {
  constructor(message: string, options?: SandboxErrorOptions) {
    super('transport', message, options);
  }
}

export function isSandboxError(error: unknown): error is SandboxError {
  return error instanceof SandboxError;
}
