/**
 * The one table from E2B SDK errors to Tidepool's error hierarchy, by class (never by message text).
 * The SDK's error is kept as `cause` so nothing it said is lost.
 */
import { AuthenticationError, CapacityError, SandboxTimeoutError, SessionLostError, type SandboxError } from '../../../errors.js';
import { fileNotFound, invalidInput, mapSdkError, rateLimited } from '../../sdk-errors.js';
import type { E2BErrorClasses } from './e2b-sdk.js';

export interface E2BErrorContext {
  /** What we were doing, e.g. `creating an E2B sandbox` or `reading "a.csv"`. */
  action: string;
  /** The request timeout in force, reported when the SDK times out. */
  requestTimeoutMs: number;
}

export function mapE2BError(error: unknown, classes: E2BErrorClasses, context: E2BErrorContext): SandboxError {
  return mapSdkError(error, `E2B failed ${context.action}`, {
    rules: [
      {
        classes: [classes.AuthenticationError],
        build: ({ what, detail, options }) =>
          new AuthenticationError(`${what}: the API key was rejected (${detail}). Check E2B_API_KEY (keys are at https://e2b.dev/dashboard).`, {
            ...options,
            statusCode: options.statusCode ?? 401,
          }),
      },
      { classes: [classes.RateLimitError], build: rateLimited },
      {
        classes: [classes.ServiceBusyError],
        build: ({ what, detail, options }) => new CapacityError(`${what}: the service is busy (${detail}). Retry in a few seconds.`, { ...options, statusCode: 503 }),
      },
      {
        classes: [classes.NotEnoughSpaceError],
        build: ({ what, detail, options }) =>
          new CapacityError(`${what}: the sandbox is out of disk space (${detail}). Delete files from /mnt/data.`, { ...options, isRetryable: false }),
      },
      {
        classes: [classes.SandboxNotFoundError],
        build: ({ what, detail, options }) =>
          new SessionLostError(
            `${what}: the E2B sandbox is gone (it expired or was killed), so the session's variables and files were lost (${detail}). Run the code again to start a new sandbox.`,
            options,
          ),
      },
      { classes: [classes.FileNotFoundError, classes.NotFoundError], build: fileNotFound },
      {
        classes: [classes.TimeoutError],
        build: ({ what, detail, options }) =>
          new SandboxTimeoutError(
            `${what}: timed out (${detail}). Pass a larger requestTimeoutMs (now ${context.requestTimeoutMs}) or check the network.`,
            context.requestTimeoutMs,
            { ...options, isRetryable: true },
          ),
      },
      { classes: [classes.InvalidArgumentError], build: invalidInput },
    ],
    transportHint: 'Check the network and https://status.e2b.dev, then retry.',
  });
}
