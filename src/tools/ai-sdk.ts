/**
 * The three tools as Vercel AI SDK tools, bound to one sandbox session (a conversation).
 * Outputs carry images for the person; `toModelOutput` keeps them out of the model's context,
 * which only needs to know that a chart was shown.
 */
import { tool, type ToolSet } from 'ai';
import { z } from 'zod';
import { InvalidInputError } from '../sandbox/errors.js';
import type { LifecycleEvent, LifecycleListener } from '../sandbox/lifecycle.js';
import type { Sandbox, SandboxType } from '../sandbox/types.js';
import {
  CHART_WEATHER_DESCRIPTION,
  chartWeather,
  chartWeatherInputSchema,
  RESEARCH_WEATHER_DESCRIPTION,
  researchWeather,
  researchWeatherInputSchema,
  type ToolRunContext,
  type WeatherToolOptions,
} from './index.js';
import { RUN_PYTHON_DESCRIPTION, runPython, runPythonInputSchema } from './run-python.js';
import { withToolSpan } from '../telemetry/tool-span.js';

export interface ToolImage {
  fileName: string;
  mediaType: string;
  base64: string;
}

/** What every adapter returns: text for the model, images and structured data for the person. */
export interface AiSdkToolOutput {
  text: string;
  sandboxType: SandboxType;
  images: ToolImage[];
  data?: unknown;
  timings?: { readyMs?: number; executionMs?: number; totalMs: number };
}

export interface AiSdkToolBinding {
  sandbox: Sandbox;
  /** The conversation's sandbox session identifier. */
  sessionId: string;
  /** Subscribes to the session's lifecycle events (see agent/lifecycle-router); optional. */
  subscribeLifecycle?: (identifier: string, listener: LifecycleListener) => () => void;
  /** Called as soon as a tool starts running, before any lifecycle event. */
  onToolStart?: (callId: string, toolName: string, input: unknown) => void;
  /** Every lifecycle event of a call, in order, each once. */
  onLifecycle?: (callId: string, event: LifecycleEvent) => void;
  /** Open-Meteo URLs, the environment to read them from, a fixed "today" (tests). */
  weather?: WeatherToolOptions;
}

export const TOOL_NAMES = ['research_weather', 'chart_weather', 'run_python'] as const;

export type AgentToolName = (typeof TOOL_NAMES)[number];

interface ToolRunner {
  description: string;
  schema: z.ZodType;
  run(input: never, context: ToolRunContext, weather?: WeatherToolOptions): Promise<AiSdkToolOutput>;
}

/** The three tools in one shape: a schema, a description and a run that returns text plus images. */
const RUNNERS: Record<AgentToolName, ToolRunner> = {
  research_weather: {
    description: RESEARCH_WEATHER_DESCRIPTION,
    schema: researchWeatherInputSchema,
    run: async (input: z.infer<typeof researchWeatherInputSchema>, context, weather) => {
      const output = await researchWeather(input, context, weather);
      return { text: output.text, sandboxType: output.sandboxType, images: [], data: output.data, timings: output.timings };
    },
  },
  chart_weather: {
    description: `${CHART_WEATHER_DESCRIPTION} The image is shown to the person directly.`,
    schema: chartWeatherInputSchema,
    run: async (input: z.infer<typeof chartWeatherInputSchema>, context, weather) => {
      const output = await chartWeather(input, context, weather);
      // A chart that could not be drawn comes back as text with an empty PNG.
      const images = output.png.length > 0 ? [{ fileName: output.fileName, mediaType: 'image/png', base64: Buffer.from(output.png).toString('base64') }] : [];
      return { text: output.text, sandboxType: output.sandboxType, images, data: output.data, timings: output.timings };
    },
  },
  run_python: {
    description: RUN_PYTHON_DESCRIPTION,
    schema: runPythonInputSchema,
    run: async (input: z.infer<typeof runPythonInputSchema>, context) => {
      const output = await runPython(input, context);
      const images = output.images.map((image, index) => ({
        fileName: `figure-${index + 1}.${image.format}`,
        mediaType: image.format === 'svg' ? 'image/svg+xml' : `image/${image.format}`,
        base64: image.base64_data,
      }));
      const data = { status: output.status, stdout: output.stdout, stderr: output.stderr, result: output.result, error: output.error };
      return { text: output.text, sandboxType: output.sandboxType, images, data, timings: output.timings };
    },
  },
};

export function createAiSdkTools(binding: AiSdkToolBinding): ToolSet {
  return Object.fromEntries(
    TOOL_NAMES.map((name) => [
      name,
      tool({
        description: RUNNERS[name].description,
        inputSchema: RUNNERS[name].schema,
        execute: (input: unknown, options) => bound(binding, name, input, options, (context) => RUNNERS[name].run(input as never, context, binding.weather)),
        toModelOutput: ({ output }) => ({ type: 'text' as const, value: modelText(output as AiSdkToolOutput) }),
      }),
    ]),
  );
}

/**
 * Runs one tool outside a model loop (the Tools page): validates the input like the SDK would,
 * then runs it with the same binding and lifecycle forwarding.
 */
export async function runAgentTool(name: AgentToolName, input: unknown, binding: AiSdkToolBinding, callId = 'direct', signal?: AbortSignal): Promise<AiSdkToolOutput> {
  const runner = RUNNERS[name];
  const parsed = runner.schema.safeParse(input);
  if (!parsed.success) throw new InvalidInputError(`Invalid ${name} input: ${z.prettifyError(parsed.error)}`);
  return bound(binding, name, parsed.data, { toolCallId: callId, abortSignal: signal }, (context) => runner.run(parsed.data as never, context, binding.weather));
}

/** A tool's description and input schema, for adapters to other frameworks that wrap runAgentTool. */
export function agentToolDefinition(name: AgentToolName): { description: string; schema: z.ZodType } {
  return { description: RUNNERS[name].description, schema: RUNNERS[name].schema };
}

/** What a model should read from a tool's output: its text, and only the names of images it showed. */
export function modelText(output: AiSdkToolOutput): string {
  if (output.images.length === 0) return output.text;
  return `${output.text}\n[${output.images.map((image) => image.fileName).join(', ')} shown to the user]`;
}

/**
 * Runs one tool call with the binding's session, forwarding its lifecycle events. Events can reach
 * us twice (the sandbox's listener and the tool's own onLifecycle); each is forwarded once.
 */
async function bound(
  binding: AiSdkToolBinding,
  toolName: string,
  input: unknown,
  options: { toolCallId: string; abortSignal?: AbortSignal },
  run: (context: ToolRunContext) => Promise<AiSdkToolOutput>,
): Promise<AiSdkToolOutput> {
  const callId = options.toolCallId;
  binding.onToolStart?.(callId, toolName, input);
  const seen = new Set<string>();
  const forward: LifecycleListener = (event) => {
    const key = `${event.identifier}|${event.phase}|${event.elapsedMs}|${event.stepMs ?? ''}`;
    if (seen.has(key)) return;
    seen.add(key);
    binding.onLifecycle?.(callId, event);
  };
  const unsubscribe = binding.subscribeLifecycle?.(binding.sessionId, forward);
  try {
    return await withToolSpan(toolName, binding.sandbox, binding.sessionId, () =>
      run({ sandbox: binding.sandbox, sessionId: binding.sessionId, signal: options.abortSignal, onLifecycle: forward }),
    );
  } finally {
    unsubscribe?.();
  }
}
