/**
 * Tool objects for agents: a name, a description, an input schema and `run`, bound to one sandbox
 * backend chosen by name (`Local`, `Sandbox-Pool`, … or `pool`, `aca`, …). The sandbox is created
 * on the first run and reused; `run` never throws.
 */
import { randomUUID } from 'node:crypto';
import { isSandboxError } from '../errors.js';
import { createSandbox, type CreateSandboxOptions } from '../sandbox/factory.js';
import { LifecycleRouter } from '../sandbox/lifecycle-router.js';
import { resolveSandboxType } from '../sandbox/names.js';
import type { Sandbox, SandboxType } from '../sandbox/types.js';
import { CHART_WEATHER_DESCRIPTION, chartWeather, chartWeatherInputSchema } from './chart-weather.js';
import { RESEARCH_WEATHER_DESCRIPTION, researchWeather, researchWeatherInputSchema, resolveToday, type WeatherToolOptions } from './research-weather.js';
import type { ChartWeatherInput, ChartWeatherOutput, ResearchWeatherInput, ResearchWeatherOutput, ToolRunContext, ToolRunOptions, WeatherTool } from './types.js';

export interface WeatherToolFactoryOptions extends WeatherToolOptions {
  /** Passed to createSandbox; `onLifecycle` there sees every run's events. */
  sandboxOptions?: CreateSandboxOptions;
  /** Use this sandbox instead of creating one (the tool then does not close it). */
  sandbox?: Sandbox;
}

/** One sandbox per tool, created lazily, whose lifecycle events reach the run that caused them. */
class ToolSandbox {
  readonly #lifecycle = new LifecycleRouter();
  #sandbox: Sandbox | undefined;

  constructor(
    readonly type: SandboxType,
    private readonly options: WeatherToolFactoryOptions,
  ) {}

  get(): Sandbox {
    if (this.options.sandbox) return this.options.sandbox;
    const outer = this.options.sandboxOptions?.onLifecycle;
    this.#sandbox ??= createSandbox(this.type, {
      ...this.options.sandboxOptions,
      onLifecycle: (event) => {
        outer?.(event);
        this.#lifecycle.dispatch(event);
      },
    });
    return this.#sandbox;
  }

  async run<T>(context: ToolRunOptions | undefined, fn: (context: ToolRunContext) => Promise<T>): Promise<T> {
    // A named session per run (unless the caller chose one) so its events can be routed back.
    const owned = context?.sessionId === undefined;
    const sessionId = context?.sessionId ?? randomUUID();
    const unsubscribe = context?.onLifecycle ? this.#lifecycle.subscribe(sessionId, context.onLifecycle) : undefined;
    const sandbox = this.get();
    try {
      const session = owned ? sandbox.session(sessionId) : undefined;
      try {
        return await fn({ sandbox, sessionId, signal: context?.signal });
      } finally {
        await session?.close().catch(() => undefined);
      }
    } finally {
      unsubscribe?.();
    }
  }

  async close(): Promise<void> {
    const sandbox = this.#sandbox;
    this.#sandbox = undefined;
    await sandbox?.close();
  }
}

export function createResearchWeatherTool(sandboxType: string, options: WeatherToolFactoryOptions = {}): WeatherTool<ResearchWeatherInput, ResearchWeatherOutput> {
  return boundTool(sandboxType, options, {
    name: 'research_weather',
    description: RESEARCH_WEATHER_DESCRIPTION,
    inputSchema: researchWeatherInputSchema,
    run: researchWeather,
    failure: (input, message, base) => ({ ...base, data: { destination: String(input?.destination ?? ''), today: safeToday(options), places: [], error: message } }),
  });
}

export function createChartWeatherTool(sandboxType: string, options: WeatherToolFactoryOptions = {}): WeatherTool<ChartWeatherInput, ChartWeatherOutput> {
  return boundTool(sandboxType, options, {
    name: 'chart_weather',
    description: CHART_WEATHER_DESCRIPTION,
    inputSchema: chartWeatherInputSchema,
    run: chartWeather,
    failure: (input, message, base) => ({
      ...base,
      png: new Uint8Array(),
      fileName: '',
      data: { destination: (input?.places ?? []).join('; '), today: safeToday(options), places: [], error: message },
    }),
  });
}

interface FailureBase {
  /** The message, marked for people: `⚠️ <message>`. */
  text: string;
  sandboxType: SandboxType;
  timings: { totalMs: number };
}

interface ToolSpec<I, O> {
  name: WeatherTool<I, O>['name'];
  description: string;
  inputSchema: WeatherTool<I, O>['inputSchema'];
  run: (input: I, context: ToolRunContext, options: WeatherToolOptions) => Promise<O>;
  /** The output that reports a failure in words, so `run` never throws. */
  failure: (input: I, message: string, base: FailureBase) => O;
}

function boundTool<I, O>(sandboxType: string, options: WeatherToolFactoryOptions, spec: ToolSpec<I, O>): WeatherTool<I, O> {
  const holder = new ToolSandbox(resolveSandboxType(sandboxType), options);
  return {
    name: spec.name,
    description: spec.description,
    inputSchema: spec.inputSchema,
    sandboxType: holder.type,
    async run(input, context) {
      const started = performance.now();
      try {
        return await holder.run(context, (ctx) => spec.run(input, ctx, options));
      } catch (error) {
        const message = failureText(holder.type, error);
        return spec.failure(input, message, { text: `⚠️ ${message}`, sandboxType: holder.type, timings: { totalMs: Math.round(performance.now() - started) } });
      }
    },
    close: () => holder.close(),
  };
}

function failureText(type: SandboxType, error: unknown): string {
  if (isSandboxError(error)) return `The ${type} sandbox could not run the weather program: ${error.message}`;
  return `The weather tool failed unexpectedly: ${error instanceof Error ? error.message : String(error)}`;
}

function safeToday(options: WeatherToolOptions): string {
  try {
    return resolveToday(options.today);
  } catch {
    return '';
  }
}
