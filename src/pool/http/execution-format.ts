/**
 * A kernel response in Azure's wire shapes: gen-1 `properties` and gen-2 `result`.
 * Result typing follows what the real service returns: JSON-native scalars, the repr text of
 * anything else, an image object for displayed figures, and "" when the cell shows nothing.
 */
import type { KernelImage, KernelResponse } from '../../kernel/types.js';
import type { ExecutionPlan } from './execution-plan.js';

export type WireResult = string | number | boolean | null | KernelImage;

export interface WireStreams {
  status: 'success' | 'failure';
  stdout: string;
  stderr: string;
  executionTimeInMilliseconds: number;
}

/** stdout/stderr as the client sees them: on failure stderr ends with the traceback (or the timeout notice). */
export function wireStreams(response: KernelResponse, plan: ExecutionPlan, maxExecutionSeconds: number): WireStreams {
  let stderr = response.stderr;
  const append = (text: string) => {
    if (stderr && !stderr.endsWith('\n')) stderr += '\n';
    stderr += text.endsWith('\n') ? text : `${text}\n`;
  };
  if (response.timedOut) {
    const consequence = response.stateLost
      ? "The cell ignored the interrupt, so its kernel was ended and the session's variables were lost (files in /mnt/data are kept)."
      : "The cell was interrupted; the session's variables are kept.";
    append(
      `TimeoutError: Execution exceeded timeoutInSeconds (${plan.timeoutSeconds} s; this pool allows at most ${maxExecutionSeconds} s). Make the code faster or split it into several executions. ${consequence}`,
    );
  } else if (response.error) {
    append(response.error.traceback || `${response.error.type}: ${response.error.message}`);
  }
  return {
    status: response.status,
    stdout: truncate(response.stdout, plan.outputMaxLength),
    stderr: truncate(stderr, plan.outputMaxLength),
    executionTimeInMilliseconds: Math.max(0, Math.round(response.durationMs)),
  };
}

function truncate(text: string, maxLength: number | undefined): string {
  return maxLength !== undefined && text.length > maxLength ? text.slice(0, maxLength) : text;
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
