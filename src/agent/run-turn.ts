/**
 * One turn of a conversation: the model loop with the three tools, streamed as AgentEvents, and
 * what to keep of it (display parts for people, model messages for the next turn).
 *
 * A turn ends early when its signal aborts (the person pressed Stop, the client went away) or the
 * model stays silent for `modelTimeoutMs`; the abort reaches the model request, the running tool
 * and its sandbox cell, and what was said so far is kept.
 */
import { isStepCount, streamText, type LanguageModel, type ModelMessage } from 'ai';
import type { LifecycleListener } from '../sandbox/lifecycle.js';
import type { Language, Sandbox } from '../sandbox/types.js';
import { createAiSdkTools, TOOL_NAMES, type AiSdkToolOutput, type ToolImage } from '../tools/ai-sdk.js';
import type { WeatherToolOptions } from '../tools/index.js';
import { CallTimeline } from './call-timeline.js';
import { travelAgentInstructions } from './instructions.js';
import type { SessionContinuity } from './session-continuity.js';
import { toolCallProblem, withToolWordedInputErrors } from './tool-input-errors.js';
import { toolFailed } from './tool-outcome.js';
import type { AgentEvent, ImageRef, MessagePart, ToolCallView } from './types.js';

/** Enough for research, a chart and a follow-up calculation; stops a confused model from looping. */
export const DEFAULT_MAX_STEPS = 8;
/** How long the model may stay silent (tools running do not count) before the turn is given up. */
export const DEFAULT_MODEL_TIMEOUT_MS = 180_000;

export interface TurnOptions {
  model: LanguageModel;
  sandbox: Sandbox;
  /** The conversation's sandbox session identifier. */
  sessionId: string;
  /** Earlier turns, oldest first. */
  history: ModelMessage[];
  userText: string;
  emit: (event: AgentEvent) => void;
  /** Stores an image a tool produced and says where the person can fetch it. */
  saveImage: (image: ToolImage) => ImageRef | Promise<ImageRef>;
  subscribeLifecycle?: (identifier: string, listener: LifecycleListener) => () => void;
  /** Stops the turn; a string reason is what the person is told (e.g. "Stopped by you."). */
  signal?: AbortSignal;
  maxSteps?: number;
  /** Default DEFAULT_MODEL_TIMEOUT_MS. */
  modelTimeoutMs?: number;
  weather?: WeatherToolOptions;
  /** Detects a session the backend replaced since its last cell (see session-continuity). */
  continuity?: SessionContinuity;
  /** The session ran cells in an earlier turn (known from the stored conversation). */
  sessionUsedBefore?: boolean;
}

export interface TurnOutcome {
  parts: MessagePart[];
  /** The user message followed by what the model and tools produced, for the next turn's history. */
  modelMessages: ModelMessage[];
  text: string;
  /** Set when the model call failed; the parts hold what was produced before. */
  error?: string;
  /** Set when the turn was stopped before the model finished; the parts hold what was produced before. */
  stopped?: string;
}

interface RunningCall {
  view: ToolCallView;
  startedAt: number;
  timeline: CallTimeline;
}

const KNOWN_TOOLS: ReadonlySet<string> = new Set(TOOL_NAMES);

export async function runTurn(options: TurnOptions): Promise<TurnOutcome> {
  const parts: MessagePart[] = [];
  const calls = new Map<string, RunningCall>();
  const { emit } = options;
  let error: string | undefined;
  let stopped: string | undefined;
  let current: RunningCall | undefined;
  let probing = false;

  const abort = new AbortController();
  const stop = (reason: string) => {
    stopped ??= reason;
    abort.abort(new Error(reason));
  };
  const onOuterAbort = () => stop(typeof options.signal?.reason === 'string' ? options.signal.reason : 'The turn was stopped.');
  if (options.signal?.aborted) onOuterAbort();
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });

  // The model timeout counts only while the model is expected to speak, not while a tool runs.
  const modelTimeoutMs = options.modelTimeoutMs ?? DEFAULT_MODEL_TIMEOUT_MS;
  let toolsRunning = 0;
  let timer: NodeJS.Timeout | undefined;
  const armTimeout = () => {
    clearTimeout(timer);
    if (toolsRunning > 0 || abort.signal.aborted) return;
    timer = setTimeout(
      () => stop(`The model did not answer within ${Math.round(modelTimeoutMs / 1000)} s, so the turn was stopped. Try again; if it keeps happening, check that the model server is up (or raise TIDEPOOL_MODEL_TIMEOUT_MS).`),
      modelTimeoutMs,
    );
  };

  const startCall = (callId: string, toolName: string, input: unknown): RunningCall => {
    const existing = calls.get(callId);
    if (existing) return existing;
    const view: ToolCallView = { callId, toolName, input, status: 'running', lifecycle: [], timeline: [], images: [] };
    if (KNOWN_TOOLS.has(toolName)) view.sandboxType = options.sandbox.type;
    const call: RunningCall = { view, startedAt: performance.now(), timeline: new CallTimeline() };
    calls.set(callId, call);
    parts.push({ type: 'tool', call: view });
    toolsRunning++;
    clearTimeout(timer);
    emit({ type: 'tool-start', callId, toolName, input, ...(view.sandboxType ? { sandboxType: view.sandboxType } : {}) });
    return call;
  };
  const endCall = (call: RunningCall, status: 'success' | 'error') => {
    if (call.view.status !== 'running') return;
    call.view.status = status;
    call.view.durationMs = Math.round(performance.now() - call.startedAt);
    call.view.timeline = call.timeline.steps;
    toolsRunning = Math.max(0, toolsRunning - 1);
    emit({ type: 'tool-end', call: call.view });
    armTimeout();
  };

  const watched = options.continuity?.watch(options.sandbox, options.sessionId, options.sessionUsedBefore ?? false, {
    onProbe: (running) => (probing = running),
    onReset: (message) => {
      if (!current) return;
      current.view.sessionReset = message;
      emit({ type: 'session-reset', callId: current.view.callId, message });
    },
  });

  // A pool that cannot say what it runs right now still gets run_python; its own calls report the trouble.
  const languages = await options.sandbox.languages({ signal: abort.signal }).catch((): readonly Language[] => ['python']);
  const tools = withToolWordedInputErrors(createAiSdkTools({
    sandbox: watched?.sandbox ?? options.sandbox,
    sessionId: options.sessionId,
    languages,
    // The continuity probe's own cell is not part of the call (its session set-up is); it is left
    // out here, before the tools' de-duplication of events could mistake the cell's for the probe's.
    subscribeLifecycle:
      options.subscribeLifecycle &&
      ((identifier, listener) => options.subscribeLifecycle!(identifier, (event) => (probing && event.phase !== 'creating' && event.phase !== 'ready' ? undefined : listener(event)))),
    weather: options.weather,
    onToolStart: (callId, toolName, input) => {
      current = startCall(callId, toolName, input);
      watched?.nextCall();
    },
    onLifecycle: (callId, event) => {
      const call = calls.get(callId);
      if (!call) return;
      call.view.lifecycle.push(event);
      const steps = call.timeline.add(event);
      call.view.timeline = call.timeline.steps;
      for (const step of steps) emit({ type: 'tool-lifecycle', callId, event, step });
    },
  }));

  const userMessage: ModelMessage = { role: 'user', content: options.userText };
  armTimeout();
  const result = streamText({
    model: options.model,
    instructions: travelAgentInstructions(options.sandbox.type, languages),
    messages: [...options.history, userMessage],
    tools,
    // One session runs one cell at a time anyway, and lifecycle events then belong to one call.
    toolCallConcurrency: 1,
    stopWhen: isStepCount(options.maxSteps ?? DEFAULT_MAX_STEPS),
    abortSignal: abort.signal,
    maxRetries: 1,
    // Errors arrive as stream parts below; the SDK's default would also print each to stderr.
    onError: () => undefined,
  });

  try {
    for await (const part of result.stream) {
      if (part.type !== 'tool-call') armTimeout();
      switch (part.type) {
        case 'text-delta': {
          const last = parts.at(-1);
          if (last?.type === 'text') last.text += part.text;
          else parts.push({ type: 'text', text: part.text });
          emit({ type: 'text-delta', text: part.text });
          break;
        }
        case 'tool-call':
          startCall(part.toolCallId, part.toolName, part.input);
          break;
        case 'tool-result': {
          const call = calls.get(part.toolCallId);
          if (!call) break;
          const output = part.output as AiSdkToolOutput;
          call.view.text = output.text;
          call.view.images = await Promise.all(output.images.map((image) => options.saveImage(image)));
          endCall(call, toolFailed(output) ? 'error' : 'success');
          break;
        }
        case 'tool-error': {
          const call = calls.get(part.toolCallId) ?? startCall(part.toolCallId, part.toolName, part.input);
          call.view.text = toolCallProblem(part.toolName, part.input, part.error, Object.keys(tools)) ?? errorMessage(part.error);
          endCall(call, 'error');
          break;
        }
        case 'error':
          if (abort.signal.aborted) break;
          error = errorMessage(part.error);
          emit({ type: 'error', message: error });
          break;
        default:
          break;
      }
    }
  } catch (thrown) {
    if (!abort.signal.aborted) throw thrown;
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onOuterAbort);
  }

  if (stopped) {
    for (const call of calls.values()) {
      if (call.view.status !== 'running') continue;
      call.view.text = `Stopped before it finished: ${stopped}`;
      endCall(call, 'error');
    }
    clearTimeout(timer);
    emit({ type: 'stopped', reason: stopped });
  }

  const text = parts.flatMap((part) => (part.type === 'text' ? [part.text] : [])).join('\n');
  const responseMessages = error || stopped ? (text ? [{ role: 'assistant' as const, content: text }] : []) : ((await result.responseMessages) as ModelMessage[]);
  const outcome: TurnOutcome = { parts, modelMessages: [userMessage, ...responseMessages], text };
  if (error) outcome.error = error;
  if (stopped) outcome.stopped = stopped;
  return outcome;
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  try {
    return JSON.stringify(error);
  } catch {
    return String(error);
  }
}
