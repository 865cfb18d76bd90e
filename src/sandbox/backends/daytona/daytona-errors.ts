/**
 * The one table from Daytona SDK errors to Tidepool's error hierarchy, by class (never by message
 * text). The SDK's error is kept as `cause` so nothing it said is lost.
 */
import { AuthenticationError, CapacityError, SandboxTimeoutError, SessionLostError, type SandboxError } from '../../../errors.js';
import { fileNotFound, invalidInput, mapSdkError, rateLimited } from '../../sdk-errors.js';
import type { DaytonaErrorClasses } from './daytona-sdk.js';

export interface DaytonaErrorContext {
  /** What we were doing, e.g. `creating a Daytona sandbox` or `reading "a.csv"`. */
  action: string;
  /** The limit in force, reported when the SDK times out. */
  timeoutMs: number;
}

export function mapDaytonaError(error: unknown, classes: DaytonaErrorClasses, context: DaytonaErrorContext): SandboxError {
  return mapSdkError(error, `Daytona failed ${context.action}`, {
    rules: [
      {
        classes: [classes.DaytonaAuthenticationError, classes.DaytonaForbiddenError],
        build: ({ what, detail, options }) =>
          new AuthenticationError(
            `${what}: access was refused (${detail}). Check DAYTONA_API_KEY, and DAYTONA_API_URL / DAYTONA_TARGET if you use a non-default server or region.`,
            options,
          ),
      },
      { classes: [classes.DaytonaRateLimitError], build: rateLimited },
      {
        classes: [classes.DaytonaServiceUnavailableError],
        build: ({ what, detail, options }) =>
          new CapacityError(`${what}: the service is unavailable (${detail}). Retry in a few seconds.`, { ...options, statusCode: options.statusCode ?? 503 }),
      },
      {
        classes: [classes.DaytonaGoneError],
        build: ({ what, detail, options }) =>
          new SessionLostError(
            `${what}: the Daytona sandbox is gone, so the session's variables and files were lost (${detail}). Run the code again to start a new sandbox.`,
            options,
          ),
      },
      { classes: [classes.DaytonaNotFoundError], build: fileNotFound },
      {
        classes: [classes.DaytonaTimeoutError],
        build: ({ what, detail, options }) =>
          new SandboxTimeoutError(`${what}: timed out after ${context.timeoutMs} ms (${detail}). Pass a larger timeout or check the network.`, context.timeoutMs, {
            ...options,
            isRetryable: true,
          }),
      },
      { classes: [classes.DaytonaBadRequestError], build: invalidInput },
    ],
    transportHint: 'Check the network and DAYTONA_API_URL, then retry.',
    retryableTransport: [classes.DaytonaConnectionError],
  });
}
