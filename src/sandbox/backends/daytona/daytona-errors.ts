/**
 * The one table from Daytona SDK errors to Tidepool's error hierarchy, by class (never by message
 * text). The SDK's error is kept as `cause` so nothing it said is lost.
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
import type { DaytonaErrorClasses } from './daytona-sdk.js';

export interface DaytonaErrorContext {
  /** What we were doing, e.g. `creating a Daytona sandbox` or `reading "a.csv"`. */
  action: string;
  /** The limit in force, reported when the SDK times out. */
  timeoutMs: number;
}

export function mapDaytonaError(error: unknown, classes: DaytonaErrorClasses, context: DaytonaErrorContext): SandboxError {
  if (isSandboxError(error)) return error;
  const detail = error instanceof Error ? error.message : String(error);
  const statusCode = (error as { statusCode?: unknown } | null)?.statusCode;
  const options = { cause: error, statusCode: typeof statusCode === 'number' ? statusCode : undefined };
  const what = `Daytona failed ${context.action}`;
  if (error instanceof classes.DaytonaAuthenticationError || error instanceof classes.DaytonaForbiddenError) {
    return new AuthenticationError(
      `${what}: access was refused (${detail}). Check DAYTONA_API_KEY, and DAYTONA_API_URL / DAYTONA_TARGET if you use a non-default server or region.`,
      options,
    );
  }
  if (error instanceof classes.DaytonaRateLimitError) {
    return new CapacityError(`${what}: rate limited (${detail}). Wait a little and retry, or close sessions you no longer need.`, {
      ...options,
      statusCode: options.statusCode ?? 429,
    });
  }
  if (error instanceof classes.DaytonaServiceUnavailableError) {
    return new CapacityError(`${what}: the service is unavailable (${detail}). Retry in a few seconds.`, { ...options, statusCode: options.statusCode ?? 503 });
  }
  if (error instanceof classes.DaytonaGoneError) {
    return new SessionLostError(`${what}: the Daytona sandbox is gone, so the session's variables and files were lost (${detail}). Run the code again to start a new sandbox.`, options);
  }
  if (error instanceof classes.DaytonaNotFoundError) {
    return new NotFoundError(`${what}: not found (${detail}). Call list() to see the files in /mnt/data.`, { ...options, statusCode: options.statusCode ?? 404 });
  }
  if (error instanceof classes.DaytonaTimeoutError) {
    return new SandboxTimeoutError(`${what}: timed out after ${context.timeoutMs} ms (${detail}). Pass a larger timeout or check the network.`, context.timeoutMs, {
      ...options,
      isRetryable: true,
    });
  }
  if (error instanceof classes.DaytonaBadRequestError) {
    return new InvalidInputError(`${what}: ${detail}`, options);
  }
  const retryable = error instanceof classes.DaytonaConnectionError || options.statusCode === undefined || options.statusCode >= 500;
  return new TransportError(`${what}: ${detail}. Check the network and DAYTONA_API_URL, then retry.`, { ...options, isRetryable: retryable });
}
