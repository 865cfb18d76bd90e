/**
 * The agent tools as Vercel AI SDK tools, bound to one sandbox session (a conversation): the two
 * weather tools, and a code tool per language the sandbox runs (run_python, run_javascript, run_shell).
 * Outputs carry images for the person; `toModelOutput` keeps them out of the model's context,
 * which only needs to know that a chart was shown.
 */
import { tool, type ToolSet } from 'ai';
import { z } from 'zod';
import { InvalidInputError } from '../errors.js';
import type { LifecycleEvent, LifecycleListener } from '../sandbox/lifecycle.js';
import type { Language, Sandbox, SandboxType } from '../sandbox/types.js';
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
import {
  RUN_JAVASCRIPT_DESCRIPTION,
  RUN_PYTHON_DESCRIPTION,
  RUN_SHELL_DESCRIPTION,
  runJavaScript,
  runJavaScriptInputSchema,
  runPython,
  runPythonInputSchema,
  runShell,
  runShellInputSchema,
  type RunCodeOutput,
} from './run-code.js';
import { withToolSpan } from './tool-span.js';

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
  /** Subscribes to the session's lifecycle events (see sandbox/lifecycle-router); optional. */
  subscribeLifecycle?: (identifier: string, listener: LifecycleListener) => () => void;
  /** Called as soon as a tool starts running, before any lifecycle event. */
  onToolStart?: (callId: string, toolName: string, input: unknown) => void;
  /** Every lifecycle event of a call, in order, each once. */
  onLifecycle?: (callId: string, event: LifecycleEvent) => void;
  /** Open-Meteo URLs, the environment to read them from, a fixed "today" (tests). */
  weather?: WeatherToolOptions;
  /**
   * The languages whose code tools createAiSdkTools offers (`await sandbox.languages()`); default
   * Python only. A code tool of a language the sandbox does not run fails with UnsupportedLanguageError.
   */
  languages?: readonly Language[];
}

export const TOOL_NAMES = ['research_weather', 'chart_weather', 'run_python', 'run_javascript', 'run_shell'] as const;

export type AgentToolName = (typeof TOOL_NAMES)[number];

/** The code tool of each language. */
export const CODE_TOOL_NAMES: Record<Language, AgentToolName> = { python: 'run_python', javascript: 'run_javascript', shell: 'run_shell' };

/** The tools to offer on a sandbox that runs `languages`: the weather tools (which run Python) and each language's code tool. */
export function toolNamesFor(languages: readonly Language[]): AgentToolName[] {
  const codeTools = new Set(languages.map((language) => CODE_TOOL_NAMES[language]));
  return TOOL_NAMES.filter((name) => !Object.values(CODE_TOOL_NAMES).includes(name) || codeTools.has(name));
}

interface ToolRunner<Schema extends z.ZodType> {
  description: string;
  schema: Schema;
  run(input: z.infer<Schema>, context: ToolRunContext, weather?: WeatherToolOptions): Promise<AiSdkToolOutput>;
}

/** Keeps each runner's input type tied to its own schema. */
function runner<Schema extends z.ZodType>(definition: ToolRunner<Schema>): ToolRunner<Schema> {
  return definition;
}

/** The tools in one shape: a schema, a description and a run that returns text plus images. */
const RUNNERS = {
  research_weather: runner({
    description: RESEARCH_WEATHER_DESCRIPTION,
    schema: researchWeatherInputSchema,
    run: async (input, context, weather) => {
      const output = await researchWeather(input, context, weather);
      return { text: output.text, sandboxType: output.sandboxType, images: [], data: output.data, timings: output.timings };
    },
  }),
  chart_weather: runner({
    description: `${CHART_WEATHER_DESCRIPTION} The image is shown to the person directly.`,
    schema: chartWeatherInputSchema,
    run: async (input, context, weather) => {
      const output = await chartWeather(input, context, weather);
      // A chart that could not be drawn comes back as text with an empty PNG.
      const images = output.png.length > 0 ? [{ fileName: output.fileName, mediaType: 'image/png', base64: Buffer.from(output.png).toString('base64') }] : [];
      return { text: output.text, sandboxType: output.sandboxType, images, data: output.data, timings: output.timings };
    },
  }),
  run_python: runner({ description: RUN_PYTHON_DESCRIPTION, schema: runPythonInputSchema, run: async (input, context) => codeToolOutput(await runPython(input, context)) }),
  run_javascript: runner({
    description: RUN_JAVASCRIPT_DESCRIPTION,
    schema: runJavaScriptInputSchema,
    run: async (input, context) => codeToolOutput(await runJavaScript(input, context)),
  }),
  run_shell: runner({ description: RUN_SHELL_DESCRIPTION, schema: runShellInputSchema, run: async (input, context) => codeToolOutput(await runShell(input, context)) }),
} satisfies Record<AgentToolName, unknown>;

/** A code tool's output: its images as files for the person, its fields as data. */
function codeToolOutput(output: RunCodeOutput): AiSdkToolOutput {
  const images = output.images.map((image, index) => ({
    fileName: `figure-${index + 1}.${image.format}`,
    mediaType: image.format === 'svg' ? 'image/svg+xml' : `image/${image.format}`,
    base64: image.base64_data,
  }));
  const data = {
    status: output.status,
    stdout: output.stdout,
    stderr: output.stderr,
    result: output.result,
    error: output.error,
    ...(output.exitCode !== undefined && { exitCode: output.exitCode }),
  };
  return { text: output.text, sandboxType: output.sandboxType, images, data, timings: output.timings };
}

/** The weather tools and the code tools of `binding.languages` (Python only by default). */
export function createAiSdkTools(binding: AiSdkToolBinding): ToolSet {
  return Object.fromEntries(toolNamesFor(binding.languages ?? ['python']).map((name) => [name, aiSdkTool(name, RUNNER_BY_NAME[name], binding)]));
}

function aiSdkTool<Schema extends z.ZodType>(name: AgentToolName, runner: ToolRunner<Schema>, binding: AiSdkToolBinding) {
  return tool({
    description: runner.description,
    inputSchema: runner.schema,
    execute: (input: z.infer<Schema>, options: { toolCallId: string; abortSignal?: AbortSignal }) =>
      bound(binding, name, input, options, (context) => runner.run(input, context, binding.weather)),
    toModelOutput: ({ output }: { output: AiSdkToolOutput }) => ({ type: 'text' as const, value: modelText(output) }),
  });
}

/**
 * Runs one tool outside a model loop (the Tools page): validates the input like the SDK would,
 * then runs it with the same binding and lifecycle forwarding.
 */
export async function runAgentTool(name: AgentToolName, input: unknown, binding: AiSdkToolBinding, callId = 'direct', signal?: AbortSignal): Promise<AiSdkToolOutput> {
  return runValidated(name, RUNNER_BY_NAME[name], input, binding, { toolCallId: callId, abortSignal: signal });
}

/** The runners by name, for callers that pick one at run time; each still validates with its own schema. */
const RUNNER_BY_NAME: Record<AgentToolName, ToolRunner<z.ZodType>> = RUNNERS;

async function runValidated<Schema extends z.ZodType>(
  name: AgentToolName,
  runner: ToolRunner<Schema>,
  input: unknown,
  binding: AiSdkToolBinding,
  options: { toolCallId: string; abortSignal?: AbortSignal },
): Promise<AiSdkToolOutput> {
  const parsed = runner.schema.safeParse(input);
  if (!parsed.success) throw new InvalidInputError(`Invalid ${name} input: ${z.prettifyError(parsed.error)}`);
  const valid = parsed.data as z.infer<Schema>;
  return bound(binding, name, valid, options, (context) => runner.run(valid, context, binding.weather));
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
 * Runs one tool call with the binding's session, forwarding that session's lifecycle events (from
 * the sandbox's one router) for as long as the call runs.
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
  const forward: LifecycleListener = (event) => binding.onLifecycle?.(callId, event);
  const unsubscribe = binding.subscribeLifecycle?.(binding.sessionId, forward);
  try {
    return await withToolSpan(toolName, binding.sandbox, binding.sessionId, () => run({ sandbox: binding.sandbox, sessionId: binding.sessionId, signal: options.abortSignal }));
  } finally {
    unsubscribe?.();
  }
}
