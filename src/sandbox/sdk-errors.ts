/**
 * Maps an error thrown by a cloud SDK (E2B, Daytona) into the SandboxError hierarchy by its class,
 * never by message text. Each backend gives its own table of SDK classes → SandboxError; what every
 * table shares lives here: SandboxErrors pass through, the SDK's error stays as `cause`, its
 * `statusCode` is kept, and anything no rule matches is a TransportError.
 */
import { CapacityError, InvalidInputError, isSandboxError, NotFoundError, TransportError, type SandboxError } from '../errors.js';

/** An SDK error class, matched with `instanceof`. */
export type SdkErrorClass = abstract new (...args: never[]) => unknown;

/** What a rule builds its error from. */
export interface SdkErrorFacts {
  /** The message's opening, e.g. `E2B failed reading "a.csv"`. */
  what: string;
  /** The SDK's own message. */
  detail: string;
  options: { cause: unknown; statusCode?: number };
}

export interface SdkErrorRule {
  /** The rule applies when the error is an instance of any of these. */
  classes: readonly SdkErrorClass[];
  build(facts: SdkErrorFacts): SandboxError;
}

export interface SdkErrorTable {
  /** Tried in order; the first whose class matches builds the error. */
  rules: readonly SdkErrorRule[];
  /** Ends the TransportError message for unmatched errors, e.g. `Check the network …, then retry.` */
  transportHint: string;
  /** Unmatched errors of these classes are retryable whatever their status code. */
  retryableTransport?: readonly SdkErrorClass[];
}

export function mapSdkError(error: unknown, what: string, table: SdkErrorTable): SandboxError {
  if (isSandboxError(error)) return error;
  const detail = error instanceof Error ? error.message : String(error);
  const statusCode = (error as { statusCode?: unknown } | null)?.statusCode;
  const options = { cause: error, statusCode: typeof statusCode === 'number' ? statusCode : undefined };
  const rule = table.rules.find((candidate) => isAny(error, candidate.classes));
  if (rule) return rule.build({ what, detail, options });
  const retryable = isAny(error, table.retryableTransport ?? []) || options.statusCode === undefined || options.statusCode >= 500;
  return new TransportError(`${what}: ${detail}. ${table.transportHint}`, { ...options, isRetryable: retryable });
}

/** Rules whose wording is the same for every SDK. */
export const rateLimited = ({ what, detail, options }: SdkErrorFacts): SandboxError =>
  new CapacityError(`${what}: rate limited (${detail}). Wait a little and retry, or close sessions you no longer need.`, {
    ...options,
    statusCode: options.statusCode ?? 429,
  });

export const fileNotFound = ({ what, detail, options }: SdkErrorFacts): SandboxError =>
  new NotFoundError(`${what}: not found (${detail}). Call list() to see the files in /mnt/data.`, { ...options, statusCode: options.statusCode ?? 404 });

export const invalidInput = ({ what, detail, options }: SdkErrorFacts): SandboxError => new InvalidInputError(`${what}: ${detail}`, options);

function isAny(error: unknown, classes: readonly SdkErrorClass[]): boolean {
  return classes.some((errorClass) => error instanceof errorClass);
}
