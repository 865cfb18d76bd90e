/** Helpers every backend shares for validating input and shaping results. */
import { InvalidInputError } from '../errors.js';
import type { CellResult, ExecuteOptions, ExecutionErrorInfo, ExecutionResult, ImageResult } from './types.js';

/** Azure caps a cell at 220 s; we use the same default everywhere so behaviour matches across backends. */
export const DEFAULT_TIMEOUT_MS = 220_000;

export function validateCode(code: unknown): string {
  if (typeof code !== 'string') throw new InvalidInputError('Code must be a string of source text (Python, JavaScript or a shell command).');
  if (code.trim() === '') throw new InvalidInputError('Code is empty; pass at least one statement or command, e.g. print(1) in Python.');
  if (code.includes('\uFFFD')) {
    throw new InvalidInputError('Code is not valid UTF-8 text (it contains replacement characters); save the file as UTF-8.');
  }
  return code;
}

export function validateTimeoutMs(timeoutMs: unknown, fallback: number): number {
  if (timeoutMs === undefined) return fallback;
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new InvalidInputError(`timeoutMs must be a positive number of milliseconds, got ${String(timeoutMs)}.`);
  }
  return timeoutMs;
}

export function validateExecuteOptions(options: ExecuteOptions | undefined, fallbackTimeoutMs: number): { timeoutMs: number; signal?: AbortSignal } {
  return { timeoutMs: validateTimeoutMs(options?.timeoutMs, fallbackTimeoutMs), signal: options?.signal };
}

export function isImageResult(value: unknown): value is ImageResult {
  return typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'image' && typeof (value as { base64_data?: unknown }).base64_data === 'string';
}

/** The image `value` stands for, with its format defaulted; undefined when it is not one. */
export function toImageResult(value: unknown): ImageResult | undefined {
  return isImageResult(value) ? { type: 'image', format: value.format ?? 'png', base64_data: value.base64_data } : undefined;
}

/**
 * An arbitrary JSON value as the contract's `result`. Kernels and services send a figure-valued
 * cell's picture as its value (Azure's wire has no other place for it); the contract returns
 * pictures in `images` only, so an image value becomes `null` here and the caller adds it there.
 */
export function toCellResult(value: unknown): CellResult {
  if (value === null || value === undefined || isImageResult(value)) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  return JSON.stringify(value);
}

/** How messages name the per-cell timeout; the library's option is `timeoutMs`. */
const TIMEOUT_OPTION = 'timeoutMs';

function timeoutLead(timeoutMs: number, option: string): string {
  return `Execution exceeded ${option} (${timeoutMs}); pass a larger ${option} or make the code faster.`;
}

/** The error of a cell stopped at its timeout; `consequence` says what happened to the session. */
export function cellTimeoutError(timeoutMs: number, consequence: string, traceback = ''): ExecutionErrorInfo {
  return { type: 'TimeoutError', message: `${timeoutLead(timeoutMs, TIMEOUT_OPTION)} ${consequence}`.trim(), traceback, timeoutMs };
}

/**
 * A timeout error's message with the setting named as the caller names it (the CLI:
 * `--timeout-ms`); any other error's message as it is.
 */
export function describeCellTimeout(error: ExecutionErrorInfo, option: string): string {
  if (error.timeoutMs === undefined) return error.message;
  const lead = timeoutLead(error.timeoutMs, TIMEOUT_OPTION);
  if (!error.message.startsWith(lead)) return error.message;
  return `${timeoutLead(error.timeoutMs, option)}${error.message.slice(lead.length)}`;
}

/** What a shell execution reported, whichever backend ran it. */
export interface ShellOutcome {
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
  /** The backend's own error (e.g. a timeout); otherwise a non-zero exit gets one naming the code. */
  error?: ExecutionErrorInfo | null;
}

/** A shell execution as the contract's result: `success` only for exit code 0, the code in `exitCode`. */
export function shellExecutionResult(outcome: ShellOutcome): ExecutionResult {
  const result: ExecutionResult = {
    status: outcome.exitCode === 0 && !outcome.error ? 'success' : 'failure',
    stdout: outcome.stdout,
    stderr: outcome.stderr,
    result: null,
    images: [],
    exitCode: outcome.exitCode,
    durationMs: outcome.durationMs,
  };
  if (outcome.error) result.error = outcome.error;
  else if (outcome.exitCode !== 0) result.error = { type: 'NonZeroExit', message: `The command exited with code ${outcome.exitCode}.`, traceback: '' };
  return result;
}
