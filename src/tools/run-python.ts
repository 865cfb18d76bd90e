/**
 * run_python: a general code interpreter. Runs one cell in the agent's sandbox session, so
 * variables and /mnt/data files persist between calls of the same conversation.
 */
import { z } from 'zod';
import { isImageResult } from '../sandbox/execution.js';
import type { ImageResult, SandboxType } from '../sandbox/types.js';
import type { ToolRunContext } from './index.js';

export const runPythonInputSchema = z.object({
  code: z.string().min(1).describe('Python source to run, as a notebook cell: the value of the last expression is returned. Use relative paths for files.'),
  timeoutSeconds: z.number().positive().max(220).optional().describe('Per-cell limit in seconds (default 60, at most 220).'),
});

export type RunPythonInput = z.infer<typeof runPythonInputSchema>;

export interface RunPythonOutput {
  /** What the model reads: stdout, stderr, the result and any error, trimmed to a sane size. */
  text: string;
  status: 'success' | 'failure';
  stdout: string;
  stderr: string;
  /** `repr`-like text of the last expression, if any. */
  result: string | null;
  error?: { type: string; message: string; traceback: string };
  images: ImageResult[];
  sandboxType: SandboxType;
  timings: { executionMs: number; totalMs: number };
}

export const RUN_PYTHON_DESCRIPTION =
  'Run Python code in this conversation\'s sandbox session (numpy, pandas, matplotlib, scikit-learn, requests available). ' +
  'State persists across calls; write files with relative paths (the session\'s data directory, /mnt/data) so the person can download them. Returns stdout, stderr, the last expression\'s value and any error; figures left open are shown to the user.';

const DEFAULT_TIMEOUT_SECONDS = 60;
/** Long outputs cost tokens and help nobody; the person still sees the full text in the tool card. */
const MODEL_TEXT_LIMIT_CHARS = 8_000;

export async function runPython(input: RunPythonInput, context: ToolRunContext): Promise<RunPythonOutput> {
  const { code, timeoutSeconds } = runPythonInputSchema.parse(input);
  const startedAt = performance.now();
  const session = context.sandbox.session(context.sessionId);
  const execution = await session.execute(code, { timeoutMs: (timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000, signal: context.signal });
  const images = [...execution.images];
  if (isImageResult(execution.result) && !images.some((image) => image.base64_data === (execution.result as ImageResult).base64_data)) {
    images.push(execution.result);
  }
  const result = execution.result === null || isImageResult(execution.result) ? null : typeof execution.result === 'string' ? execution.result : JSON.stringify(execution.result);
  const output: RunPythonOutput = {
    text: '',
    status: execution.status,
    stdout: execution.stdout,
    stderr: execution.stderr,
    result,
    images,
    sandboxType: session.sandboxType,
    timings: { executionMs: execution.durationMs, totalMs: Math.round(performance.now() - startedAt) },
  };
  if (execution.error) output.error = execution.error;
  output.text = describe(output, context.sandbox.banner);
  return output;
}

function describe(output: RunPythonOutput, banner: string): string {
  const sections: string[] = banner ? [banner] : [];
  if (output.stdout) sections.push(`stdout:\n${output.stdout}`);
  if (output.stderr) sections.push(`stderr:\n${output.stderr}`);
  if (output.result !== null && output.result !== '') sections.push(`result: ${output.result}`);
  if (output.images.length > 0) sections.push(`${output.images.length} image(s) displayed to the user.`);
  if (output.error) sections.push(`error: ${output.error.traceback || `${output.error.type}: ${output.error.message}`}`);
  if (sections.length === (banner ? 1 : 0)) sections.push(output.status === 'success' ? 'The code ran and printed nothing.' : 'The code failed without output.');
  const text = sections.join('\n');
  return text.length > MODEL_TEXT_LIMIT_CHARS ? `${text.slice(0, MODEL_TEXT_LIMIT_CHARS)}\n… (output truncated)` : text;
}
