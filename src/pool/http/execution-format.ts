/**
 * A kernel response in Azure's wire shapes: gen-1 `properties` and gen-2 `result`.
 * Result typing follows what the real service returns: JSON-native scalars, the repr text of
 * anything else, an image object for displayed figures, and "" when the cell shows nothing.
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
  executionTimeInMilliseconds: number;
  /** Set when the pool dropped the result because it passed maxResultBytes. */
  error?: { code: 'ExecutionResultTooLarge'; message: string };
}

export interface WireOptions {
  generation: 1 | 2;
  maxExecutionSeconds: number;
  /** Per-execution cap on stdout + stderr + value, in UTF-8 bytes. */
  maxResultBytes: number;
}

/** Room left for the notice and the JSON around the fields when an oversized result is cut. */
const CUT_MARGIN_BYTES = 4096;

/** The execution as the client sees it: on failure stderr ends with the traceback (or the timeout notice). */
export function wireExecution(response: KernelResponse, plan: ExecutionPlan, options: WireOptions): WireExecution {
  const notice = failureNotice(response, plan, options.maxExecutionSeconds);
  const stdout = truncate(response.stdout, plan.outputMaxLength);
  const stderr = truncate(notice ? appendLine(response.stderr, notice) : response.stderr, plan.outputMaxLength);
  const result = options.generation === 1 ? gen1Result(response) : gen2ExecutionResult(response, plan.jupyterFormat);
  const wire: WireExecution = {
    status: response.status,
    stdout,
    stderr,
    result,
    executionTimeInMilliseconds: Math.max(0, Math.round(response.durationMs)),
  };
  const size = textBytes(stdout) + textBytes(stderr) + valueBytes(result);
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
  return { ...wire, status: 'failure', stdout, stderr, result: '', error: { code: 'ExecutionResultTooLarge', message } };
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

const encoder = new TextEncoder();

/** The longest prefix of `text` that fits in `maxBytes` of UTF-8, never splitting a character. */
export function headBytes(text: string, maxBytes: number): string {
  if (textBytes(text) <= maxBytes) return text;
  const { read } = encoder.encodeInto(text, new Uint8Array(maxBytes));
  return text.slice(0, read);
}

/** Gen-1 `result`: the cell's value typed as the service types it, "" when there is none. */
export function gen1Result(response: KernelResponse): WireResult {
  if (response.status !== 'success' || !response.hasResult) return '';
  return response.result;
}

/** Gen-2 `executionResult`; with returnJupyterFormatExecutionResult scalars come back as their repr text. */
export function gen2ExecutionResult(response: KernelResponse, jupyterFormat: boolean): WireResult {
  if (response.status !== 'success' || !response.hasResult) return '';
  const result = response.result;
  if (!jupyterFormat || result === null || typeof result === 'object') return result;
  return response.repr ?? result;
}
