/** Runs one cell through the runner in a Daytona interpreter context and shapes the contract's result. */
import { cellTimeoutError } from '../../execution.js';
import { capOutput } from '../../output-cap.js';
import type { ExecutionResult } from '../../types.js';
import { extractOutcome, runnerCell, type RunnerOutcome } from './daytona-runner.js';
import type { DaytonaContext, DaytonaSandboxHandle, DaytonaSdk } from './daytona-sdk.js';

/** Past the cell's own timeout, how long Daytona gets to report it before we stop waiting. */
const REPORT_GRACE_MS = 10_000;

export type CellRun =
  /** The runner reported: the normal case, whether the user's code raised or not. */
  | { kind: 'done'; fresh: boolean; stdout: string; stderr: string; outcome: RunnerOutcome }
  /** The interpreter ended the cell before the runner could report (interrupted, or the worker died). */
  | { kind: 'no-report'; stdout: string; stderr: string; error?: { name: string; value: string; traceback?: string } }
  /** The cell outlived its timeout; the context must be replaced to be sure it stops. */
  | { kind: 'timed-out'; stdout: string; stderr: string }
  | { kind: 'aborted' };

export interface RunCellOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  outputLimitBytes: number;
}

interface LiveContext {
  handle: DaytonaSandboxHandle;
  context: DaytonaContext;
  sdk: DaytonaSdk;
}

export async function runCell(live: LiveContext, code: string, options: RunCellOptions): Promise<CellRun> {
  const { source, token } = runnerCell(code);
  const streamed = { stdout: '', stderr: '' };
  const running = live.handle.codeInterpreter.runCode(source, {
    context: live.context,
    // Daytona counts whole seconds; 0 would mean "no limit".
    timeout: Math.max(1, Math.ceil(options.timeoutMs / 1000)),
    onStdout: (message) => {
      streamed.stdout += message.output;
    },
    onStderr: (message) => {
      streamed.stderr += message.output;
    },
  });
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const stopped = new Promise<'stuck' | 'aborted'>((resolve) => {
    timer = setTimeout(() => resolve('stuck'), options.timeoutMs + REPORT_GRACE_MS);
    onAbort = () => resolve('aborted');
    if (options.signal?.aborted) onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const first = await Promise.race([running, stopped]);
    if (first === 'aborted') return { kind: 'aborted' };
    if (first === 'stuck') return { kind: 'timed-out', ...capped(streamed, options.outputLimitBytes) };
    const { stdout, outcome } = extractOutcome(first.stdout, token);
    const output = capped({ stdout, stderr: first.stderr }, options.outputLimitBytes);
    if (outcome) return { kind: 'done', fresh: outcome.fresh, ...output, outcome };
    return { kind: 'no-report', ...output, error: first.error };
  } catch (error) {
    if (error instanceof live.sdk.errors.DaytonaTimeoutError) {
      const { stdout } = extractOutcome(streamed.stdout, token);
      return { kind: 'timed-out', ...capped({ stdout, stderr: streamed.stderr }, options.outputLimitBytes) };
    }
    throw error;
  } finally {
    clearTimeout(timer);
    if (onAbort) options.signal?.removeEventListener('abort', onAbort);
    running.catch(() => undefined);
  }
}

export function cellResult(run: Exclude<CellRun, { kind: 'aborted' }>, timeoutMs: number, durationMs: number): ExecutionResult {
  const base = { stdout: run.stdout, stderr: run.stderr, durationMs, images: [] as ExecutionResult['images'] };
  if (run.kind === 'done') {
    const { outcome } = run;
    if (outcome.error) return { ...base, status: 'failure', result: null, images: outcome.images, error: outcome.error };
    return { ...base, status: 'success', result: outcome.hasResult ? outcome.result : null, images: outcome.images };
  }
  if (run.kind === 'timed-out' || run.error?.name === 'KeyboardInterrupt') {
    const consequence =
      run.kind === 'timed-out'
        ? "The cell was stopped by replacing the Python context, so the session's variables were lost (files in /mnt/data were kept)."
        : "The cell was interrupted; the session's variables are kept.";
    return { ...base, status: 'failure', result: null, error: cellTimeoutError(timeoutMs, consequence, run.kind === 'no-report' ? (run.error?.traceback ?? '') : '') };
  }
  const error = run.error
    ? { type: run.error.name, message: run.error.value, traceback: run.error.traceback ?? '' }
    : { type: 'InterpreterError', message: 'The Python interpreter ended the cell without a result (did the code exit the process?). The next cell will say if variables were lost.', traceback: '' };
  return { ...base, status: 'failure', result: null, error };
}

function capped(output: { stdout: string; stderr: string }, limitBytes: number): { stdout: string; stderr: string } {
  return { stdout: capOutput(output.stdout, limitBytes), stderr: capOutput(output.stderr, limitBytes) };
}
