/**
 * The one table from E2B SDK errors to Tidepool's error hierarchy, by class (never by message text).
 * The SDK's error is kept as `cause` so nothing it said is lost.
 */
import {
  AuthenticationError,
  CapacityError,
  InvalidInputError,
  isSandboxError,
  NotFoundError,
  SandboxTimeoutError,
  SessionLostError,
  TransportError,
  type SandboxError,
} from '../../errors.js';
import type { E2BErrorClasses } from './e2b-sdk.js';

export interface E2BErrorContext {
  /** What we were doing, e.g. `creating an E2B sandbox` or `reading "a.csv"`. */
  action: string;
  /** The request timeout in force, reported when the SDK times out. */
  requestTimeoutMs: number;
}

export function mapE2BError(error: unknown, classes: E2BErrorClasses, context: E2BErrorContext): SandboxError {
  if (isSandboxError(error)) return error;
  const detail = error instanceof Error ? error.message : String(error);
  const statusCode = (error as { statusCode?: unknown } | null)?.statusCode;
  const options = { cause: error, statusCode: typeof statusCode === 'number' ? statusCode : undefined };
  const what = `E2B failed ${context.action}`;
  if (error instanceof classes.AuthenticationError) {
    return new AuthenticationError(`${what}: the API key was rejected (${detail}). Check E2B_API_KEY (keys are at https://e2b.dev/dashboard).`, {
      ...options,
      statusCode: options.statusCode ?? 401,
    });
  }
  if (error instanceof classes.RateLimitError) {
    return new CapacityError(`${what}: rate limited (${detail}). Wait a little and retry, or close sessions you no longer need.`, {
      ...options,
      statusCode: options.statusCode ?? 429,
    });
  }
  if (error instanceof classes.ServiceBusyError) {
    return new CapacityError(`${what}: the service is busy (${detail}). Retry in a few seconds.`, { ...options, statusCode: 503 });
  }
  if (error instanceof classes.NotEnoughSpaceError) {
    return new CapacityError(`${what}: the sandbox is out of disk space (${detail}). Delete files from /mnt/data.`, { ...options, isRetryable: false });
  }
  if (error instanceof classes.SandboxNotFoundError) {
    return new SessionLostError(`${what}: the E2B sandbox is gone (it expired or was killed), so the session's variables and files were lost (${detail}). Run the code again to start a new sandbox.`, options);
  }
  if (error instanceof classes.FileNotFoundError || error instanceof classes.NotFoundError) {
    return new NotFoundError(`${what}: not found (${detail}). Call list() to see the files in /mnt/data.`, { ...options, statusCode: options.statusCode ?? 404 });
  }
  if (error instanceof classes.TimeoutError) {
    return new SandboxTimeoutError(
      `${what}: timed out (${detail}). Pass a larger requestTimeoutMs (now ${context.requestTimeoutMs}) or check the network.`,
      context.requestTimeoutMs,
      { ...options, isRetryable: true },
    );
  }
  if (error instanceof classes.InvalidArgumentError) {
    return new InvalidInputError(`${what}: ${detail}`, options);
  }
  const retryable = options.statusCode === undefined || options.statusCode >= 500;
  return new TransportError(`${what}: ${detail}. Check the network and https://status.e2b.dev, then retry.`, { ...options, isRetryable: retryable });
}
