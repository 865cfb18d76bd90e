/**
 * Runs one of the Python weather programs in a session and brings its answer back validated.
 * A program that could not run (it raised, printed no answer, or answered nonsense) becomes a
 * readable `failure`; sandbox-layer errors (configuration, transport, timeout) are thrown.
 */
import type { SandboxSession } from '../sandbox/types.js';
import { programAnswer, programCall, programSource } from '../weather/program.js';
import { programAnswerSchema, type ProgramAnswer } from '../weather/report.js';
import type { ToolRunContext } from './types.js';

export interface ProgramRun {
  answer?: ProgramAnswer;
  failure?: string;
  readyMs: number;
  executionMs: number;
}

/** Opens the context's session (or a fresh one), runs `fn`, and closes the session unless the caller named it. */
export async function withToolSession<T>(context: ToolRunContext, fn: (session: SandboxSession) => Promise<T>): Promise<T> {
  const session = context.sandbox.session(context.sessionId);
  try {
    return await fn(session);
  } finally {
    if (context.sessionId === undefined) await session.close().catch(() => undefined);
  }
}

export async function runProgram(
  session: SandboxSession,
  files: readonly string[],
  entry: string,
  args: unknown,
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<ProgramRun> {
  const code = programCall(await programSource(files), entry, args);
  const started = performance.now();
  const result = await session.execute(code, { timeoutMs: options.timeoutMs, signal: options.signal });
  const wallMs = performance.now() - started;
  const timings = { executionMs: Math.round(result.durationMs), readyMs: Math.max(0, Math.round(wallMs - result.durationMs)) };
  const raw = programAnswer(result.stdout);
  if (raw === undefined) {
    const why = result.error ? `${result.error.type}: ${result.error.message}` : 'it printed no answer';
    return { ...timings, failure: `The weather program did not finish in the ${session.sandboxType} sandbox (${firstLine(why)}).` };
  }
  const parsed = programAnswerSchema.safeParse(raw);
  if (!parsed.success) {
    return { ...timings, failure: `The weather program answered in an unexpected shape (${firstLine(parsed.error.issues[0]?.message ?? 'invalid')}); this is a bug in Tidepool.` };
  }
  return { ...timings, answer: parsed.data };
}

function firstLine(text: string): string {
  const line = text.split('\n')[0] ?? '';
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}
