/**
 * A kernel response in Azure's wire shapes: gen-1 `properties` (and the legacy flat answer) and
 * gen-2 `result`. Result typing follows what the real service returns: JSON-native scalars, the
 * repr text of anything else, an image object for a displayed figure, and "" when the cell shows
 * nothing. `None` differs by generation: gen-1 answers "" (a notebook shows nothing for None, and
 * every recorded gen-1 answer uses "" for "nothing"), gen-2 answers null (the 2025-10-02 examples:
 * `a=None; a` → null). docs/pool.md has the whole table with the reason for each row.
 * Every answer is bounded: an execution whose output passes the pool's per-result limit is
 * answered as failed, without its value and with its streams cut, so no result of unbounded
 * size is serialised or kept.
 */
import type { KernelImage, KernelResponse } from '../../kernel/types.js';
import type { ExecutionPlan } from './execution-plan.js';

export type WireResult = string | number | boolean | null | KernelImage;

export interface WireExecution {
  status: 'success' | 'failure';
  stdout: string;
  stderr: string;
  /** The cell's value in the generation's typing ("" when there is none, or it was dropped). */
  result: WireResult;
  /**
   * Images the cell showed besides the one in `result` (a cell that draws two figures, or shows
   * one and ends with a value). Azure has no such field; answers carry it only when it is not empty.
   */
  images: KernelImage[];
  executionTimeInMilliseconds: number;
  /** Set when the pool dropped the result because it passed maxResultBytes. */
  error?: { code: 'ExecutionResultTooLarge'; message: string };
}

export interface WireOptions {
  generation: 1 | 2;
  maxExecutionSeconds: number;
  /** Per-execution cap on stdout + stderr + value, in UTF-8 bytes. */
  maxResultBytes: number;
  /** Gen-2 only: every executionResult as text or null (TIDEPOOL_POOL_EXECUTION_RESULT=string), for clients that type it as a string. */
  stringResults?: boolean;
}

/** Room left for the notice and the JSON around the fields when an oversized result is cut. */
const CUT_MARGIN_BYTES = 4096;

/** The execution as the client sees it: on failure stderr ends with the traceback (or the timeout notice). */
export function wireExecution(response: KernelResponse, plan: ExecutionPlan, options: WireOptions): WireExecution {
  const notice = failureNotice(response, plan, options.maxExecutionSeconds);
  const stdout = truncate(response.stdout, plan.outputMaxLength);
  const stderr = truncate(notice ? appendLine(response.stderr, notice) : response.stderr, plan.outputMaxLength);
  const result = options.generation === 1 ? gen1Result(response) : gen2ExecutionResult(response, plan.jupyterFormat, options.stringResults ?? false);
  const images = otherImages(response);
  const wire: WireExecution = {
    status: response.status,
    stdout,
    stderr,
    result,
    images,
    executionTimeInMilliseconds: Math.max(0, Math.round(response.durationMs)),
  };
  const size = textBytes(stdout) + textBytes(stderr) + valueBytes(result) + imagesBytes(images);
  return size <= options.maxResultBytes ? wire : dropOversized(wire, size, options.maxResultBytes);
}

function failureNotice(response: KernelResponse, plan: ExecutionPlan, maxExecutionSeconds: number): string {
  if (response.timedOut) {
    const consequence = response.stateLost
      ? "The cell ignored the interrupt, so its kernel was ended and the session's variables were lost (files in /mnt/data are kept)."
      : "The cell was interrupted; the session's variables are kept.";
    return `TimeoutError: Execution exceeded timeoutInSeconds (${plan.timeoutSeconds} s; this pool allows at most ${maxExecutionSeconds} s). Make the code faster or split it into several executions. ${consequence}`;
  }
  if (response.error) return response.error.traceback || `${response.error.type}: ${response.error.message}`;
  return '';
}

function dropOversized(wire: WireExecution, sizeBytes: number, limitBytes: number): WireExecution {
  const message =
    `The execution's output is ${sizeBytes} bytes (stdout, stderr and the result together), over this pool's limit of ${limitBytes} bytes per execution ` +
    '(TIDEPOOL_POOL_MAX_RESULT_MB / --max-result-mb), so the result was dropped and the output cut. The cell did run and the session keeps its variables: ' +
    'write large data to a file in /mnt/data and download it, or return a smaller value.';
  const line = `ExecutionResultTooLarge: ${message}`;
  const budget = Math.max(0, limitBytes - textBytes(line) - CUT_MARGIN_BYTES);
  const stdout = headBytes(wire.stdout, Math.floor(budget / 2));
  const stderr = appendLine(headBytes(wire.stderr, budget - textBytes(stdout)), line);
  return { ...wire, status: 'failure', stdout, stderr, result: '', images: [], error: { code: 'ExecutionResultTooLarge', message } };
}

function appendLine(text: string, line: string): string {
  const separated = text && !text.endsWith('\n') ? `${text}\n` : text;
  return line.endsWith('\n') ? `${separated}${line}` : `${separated}${line}\n`;
}

function truncate(text: string, maxLength: number | undefined): string {
  return maxLength !== undefined && text.length > maxLength ? text.slice(0, maxLength) : text;
}

export function textBytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** UTF-8 size of a wire value as it is kept and sent (an image by its base64 text). */
export function valueBytes(value: unknown): number {
  if (typeof value === 'string') return textBytes(value);
  if (value !== null && typeof value === 'object' && typeof (value as KernelImage).base64_data === 'string') {
    return textBytes((value as KernelImage).base64_data) + 64;
  }
  return 32;
}

/** UTF-8 size of an images field as it is kept and sent. */
export function imagesBytes(images: readonly KernelImage[] | undefined): number {
  return (images ?? []).reduce((total, image) => total + valueBytes(image), 0);
}

const encoder = new TextEncoder();

/** The longest prefix of `text` that fits in `maxBytes` of UTF-8, never splitting a character. */
export function headBytes(text: string, maxBytes: number): string {
  if (textBytes(text) <= maxBytes) return text;
  const { read } = encoder.encodeInto(text, new Uint8Array(maxBytes));
  return text.slice(0, read);
}

/** Gen-1 `result`: the cell's value typed as the service types it; "" when there is none, None included. */
export function gen1Result(response: KernelResponse): WireResult {
  if (response.status !== 'success' || !response.hasResult) return '';
  return response.result ?? '';
}

/**
 * Gen-2 `executionResult`: None is null; with returnJupyterFormatExecutionResult scalars come back as
 * their repr text; with `strings` every value but null is text (scalars as their repr, an image as
 * the JSON text of its object), since SK .NET reads the field as a string and fails on anything else.
 */
export function gen2ExecutionResult(response: KernelResponse, jupyterFormat: boolean, strings = false): WireResult {
  if (response.status !== 'success' || !response.hasResult) return '';
  const result = response.result;
  const typed = !jupyterFormat || result === null || typeof result === 'object' ? result : (response.repr ?? result);
  if (!strings || typed === null || typeof typed === 'string') return typed;
  if (typeof typed === 'object') return JSON.stringify(typed);
  return response.repr ?? String(typed);
}

/** The images of a response that `result` does not already carry (the kernel puts the last one there when the cell has no other value). */
function otherImages(response: KernelResponse): KernelImage[] {
  const images = response.images ?? [];
  const shown = response.status === 'success' && response.hasResult && response.result !== null && typeof response.result === 'object';
  return shown ? images.slice(0, -1) : images;
}
