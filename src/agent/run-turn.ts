/**
 * One turn of a conversation: the model loop with the three tools, streamed as AgentEvents, and
 * what to keep of it (display parts for people, model messages for the next turn).
 */
import { isStepCount, streamText, type LanguageModel, type ModelMessage } from 'ai';
import type { LifecycleListener } from '../sandbox/lifecycle.js';
import type { Sandbox } from '../sandbox/types.js';
import { createAiSdkTools, type AiSdkToolOutput, type ToolImage } from '../tools/ai-sdk.js';
import type { WeatherToolOptions } from '../tools/index.js';
import { travelAgentInstructions } from './instructions.js';
import type { AgentEvent, ImageRef, MessagePart, ToolCallView } from './types.js';

/** Enough for research, a chart and a follow-up calculation; stops a confused model from looping. */
export const DEFAULT_MAX_STEPS = 8;

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
  signal?: AbortSignal;
  maxSteps?: number;
  weather?: WeatherToolOptions;
}

export interface TurnOutcome {
  parts: MessagePart[];
  /** The user message followed by what the model and tools produced, for the next turn's history. */
  modelMessages: ModelMessage[];
  text: string;
  /** Set when the model call failed; the parts hold what was produced before. */
  error?: string;
}

export async function runTurn(options: TurnOptions): Promise<TurnOutcome> {
  const parts: MessagePart[] = [];
  const calls = new Map<string, { view: ToolCallView; startedAt: number }>();
  const { emit } = options;
  let error: string | undefined;

  const startCall = (callId: string, toolName: string, input: unknown) => {
    if (calls.has(callId)) return;
    const view: ToolCallView = { callId, toolName, input, sandboxType: options.sandbox.type, status: 'running', lifecycle: [], images: [] };
    calls.set(callId, { view, startedAt: performance.now() });
    parts.push({ type: 'tool', call: view });
    emit({ type: 'tool-start', callId, toolName, input, sandboxType: view.sandboxType });
  };

  const tools = createAiSdkTools({
    sandbox: options.sandbox,
    sessionId: options.sessionId,
    subscribeLifecycle: options.subscribeLifecycle,
    weather: options.weather,
    onToolStart: startCall,
    onLifecycle: (callId, event) => {
      calls.get(callId)?.view.lifecycle.push(event);
      emit({ type: 'tool-lifecycle', callId, event });
    },
  });

  const userMessage: ModelMessage = { role: 'user', content: options.userText };
  const result = streamText({
    model: options.model,
    instructions: travelAgentInstructions(options.sandbox.type),
    messages: [...options.history, userMessage],
    tools,
    // One session runs one cell at a time anyway, and lifecycle events then belong to one call.
    toolCallConcurrency: 1,
    stopWhen: isStepCount(options.maxSteps ?? DEFAULT_MAX_STEPS),
    abortSignal: options.signal,
    maxRetries: 1,
  });

  for await (const part of result.stream) {
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
        finishCall(call, 'success');
        emit({ type: 'tool-end', call: call.view });
        break;
      }
      case 'tool-error': {
        const call = calls.get(part.toolCallId);
        if (!call) break;
        call.view.text = errorMessage(part.error);
        finishCall(call, 'error');
        emit({ type: 'tool-end', call: call.view });
        break;
      }
      case 'error':
        error = errorMessage(part.error);
        emit({ type: 'error', message: error });
        break;
      default:
        break;
    }
  }

  const responseMessages = error ? [] : await result.responseMessages;
  const text = parts.flatMap((part) => (part.type === 'text' ? [part.text] : [])).join('\n');
  const outcome: TurnOutcome = { parts, modelMessages: [userMessage, ...(responseMessages as ModelMessage[])], text };
  if (error) outcome.error = error;
  return outcome;
}

function finishCall(call: { view: ToolCallView; startedAt: number }, status: 'success' | 'error'): void {
  call.view.status = status;
  call.view.durationMs = Math.round(performance.now() - call.startedAt);
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
