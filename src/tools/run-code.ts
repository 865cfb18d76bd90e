/**
 * The code interpreters: run_python, run_javascript and run_shell. Each runs one execution in the
 * agent's sandbox session, in its language, so variables (and for the shell the working directory
 * and environment) and /mnt/data files persist between calls of the same conversation.
 */
import { z } from 'zod';
import { isImageResult } from '../sandbox/execution.js';
import type { ImageResult, Language, SandboxType } from '../sandbox/types.js';
import type { ToolRunContext } from './types.js';

const timeoutSeconds = z.number().positive().max(220).optional().describe('Per-execution limit in seconds (default 60, at most 220).');

export const runPythonInputSchema = z.object({
  code: z.string().min(1).describe('Python source to run, as a notebook cell: the value of the last expression is returned. Use relative paths for files.'),
  timeoutSeconds,
});

export const runJavaScriptInputSchema = z.object({
  code: z
    .string()
    .min(1)
    .describe('JavaScript (Node.js) source to run, as a notebook cell: the value of the last expression is returned. Use relative paths for files.'),
  timeoutSeconds,
});

export const runShellInputSchema = z.object({
  command: z.string().min(1).describe('A bash command or script. The working directory starts at the session\'s data directory; `cd` and `export` carry to the next call.'),
  timeoutSeconds,
});

export type RunPythonInput = z.infer<typeof runPythonInputSchema>;
export type RunJavaScriptInput = z.infer<typeof runJavaScriptInputSchema>;
export type RunShellInput = z.infer<typeof runShellInputSchema>;

export interface RunCodeOutput {
  /** What the model reads: stdout, stderr, the result and any error, trimmed to a sane size. */
  text: string;
  status: 'success' | 'failure';
  stdout: string;
  stderr: string;
  /** `repr`-like text of the last expression, if any (never for shell commands). */
  result: string | null;
  error?: { type: string; message: string; traceback: string };
  /** A shell command's exit status. */
  exitCode?: number;
  images: ImageResult[];
  sandboxType: SandboxType;
  timings: { executionMs: number; totalMs: number };
}

/** run_python's output (the same shape as every code tool's). */
export type RunPythonOutput = RunCodeOutput;

export const RUN_PYTHON_DESCRIPTION =
  'Run Python code in this conversation\'s sandbox session (numpy, pandas, matplotlib, scikit-learn, requests available). ' +
  'State persists across calls; write files with relative paths (the session\'s data directory, /mnt/data) so the person can download them. Returns stdout, stderr, the last expression\'s value and any error; figures left open are shown to the user.';

export const RUN_JAVASCRIPT_DESCRIPTION =
  'Run JavaScript (Node.js) code in this conversation\'s sandbox session. Variables persist across calls; write files with relative paths ' +
  '(the session\'s data directory, /mnt/data). Returns console output, the last expression\'s value and any error.';

export const RUN_SHELL_DESCRIPTION =
  'Run a bash command in this conversation\'s sandbox session. The working directory (starting at the data directory, /mnt/data) and exported ' +
  'variables persist across calls. Returns stdout, stderr and the exit code.';

const DEFAULT_TIMEOUT_SECONDS = 60;
/** Long outputs cost tokens and help nobody; the person still sees the full text in the tool card. */
const MODEL_TEXT_LIMIT_CHARS = 8_000;

/** Runs `code` in the context's session as `language` and describes the outcome for a model. */
export async function runCode(language: Language, code: string, timeoutSeconds: number | undefined, context: ToolRunContext): Promise<RunCodeOutput> {
  const startedAt = performance.now();
  const session = context.sandbox.session(context.sessionId);
  const execution = await session.execute(code, { language, timeoutMs: (timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000, signal: context.signal });
  const images = [...execution.images];
  if (isImageResult(execution.result) && !images.some((image) => image.base64_data === (execution.result as ImageResult).base64_data)) {
    images.push(execution.result);
  }
  const result = execution.result === null || isImageResult(execution.result) ? null : typeof execution.result === 'string' ? execution.result : JSON.stringify(execution.result);
  const output: RunCodeOutput = {
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
  if (execution.exitCode !== undefined) output.exitCode = execution.exitCode;
  output.text = describe(output, context.sandbox.banner);
  return output;
}

export async function runPython(input: RunPythonInput, context: ToolRunContext): Promise<RunCodeOutput> {
  const { code, timeoutSeconds } = runPythonInputSchema.parse(input);
  return runCode('python', code, timeoutSeconds, context);
}

export async function runJavaScript(input: RunJavaScriptInput, context: ToolRunContext): Promise<RunCodeOutput> {
  const { code, timeoutSeconds } = runJavaScriptInputSchema.parse(input);
  return runCode('javascript', code, timeoutSeconds, context);
}

export async function runShell(input: RunShellInput, context: ToolRunContext): Promise<RunCodeOutput> {
  const { command, timeoutSeconds } = runShellInputSchema.parse(input);
  return runCode('shell', command, timeoutSeconds, context);
}

function describe(output: RunCodeOutput, banner: string): string {
  const sections: string[] = banner ? [banner] : [];
  if (output.stdout) sections.push(`stdout:\n${output.stdout}`);
  if (output.stderr) sections.push(`stderr:\n${output.stderr}`);
  if (output.result !== null && output.result !== '') sections.push(`result: ${output.result}`);
  if (output.images.length > 0) sections.push(`${output.images.length} image(s) displayed to the user.`);
  if (output.exitCode !== undefined) sections.push(`exit code: ${output.exitCode}`);
  if (output.error && output.error.type !== 'NonZeroExit') sections.push(`error: ${output.error.traceback || `${output.error.type}: ${output.error.message}`}`);
  if (sections.length === (banner ? 1 : 0)) sections.push(output.status === 'success' ? 'The code ran and printed nothing.' : 'The code failed without output.');
  const text = sections.join('\n');
  return text.length > MODEL_TEXT_LIMIT_CHARS ? `${text.slice(0, MODEL_TEXT_LIMIT_CHARS)}\n… (output truncated)` : text;
}
