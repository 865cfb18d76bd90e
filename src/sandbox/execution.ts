/** Helpers every backend shares for validating input and shaping results. */
import { InvalidInputError } from './errors.js';
import type { CellResult, ExecuteOptions, ImageResult } from './types.js';

/** Azure caps a cell at 220 s; we use the same default everywhere so behaviour matches across backends. */
export const DEFAULT_TIMEOUT_MS = 220_000;

export function validateCode(code: unknown): string {
  if (typeof code !== 'string') throw new InvalidInputError('Code must be a string of Python source.');
  if (code.trim() === '') throw new InvalidInputError('Code is empty; pass at least one Python statement, e.g. print(1).');
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

/** Narrows an arbitrary JSON value to the contract's result kinds. */
export function toCellResult(value: unknown): CellResult {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (isImageResult(value)) return { type: 'image', format: value.format ?? 'png', base64_data: value.base64_data };
  return JSON.stringify(value);
}
