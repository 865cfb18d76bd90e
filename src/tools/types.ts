/** The weather tools' public shapes (the seam the agent and web layers build on). */
import type { ZodType } from 'zod';
import type { LifecycleListener } from '../sandbox/lifecycle.js';
import type { Sandbox, SandboxType } from '../sandbox/types.js';
import type { WeatherResearchData } from './weather-data.js';

export interface ToolRunContext {
  sandbox: Sandbox;
  /** Run in this session (kept open afterwards, so state and files can be reused); default a fresh one, closed after the run. */
  sessionId?: string;
  signal?: AbortSignal;
  /** Receives the run's lifecycle events when the tool created the sandbox itself (see createResearchWeatherTool). */
  onLifecycle?: LifecycleListener;
}

export interface ToolTimings {
  /** Until the session could run code: wall time of the first call minus the time the cell ran (includes transport). */
  readyMs?: number;
  /** Time the sandbox spent running the program (as the backend reports it). */
  executionMs?: number;
  totalMs: number;
}

export interface ResearchWeatherInput {
  /** One place (`Paris, France`) or several (`Miami and Tokyo`, `Miami, Tokyo`). */
  destination: string;
  /** `current` (default), `May`, `February 2026`, `May 3-10, 2027`, `next week`, … */
  dates?: string;
}

export interface ResearchWeatherOutput {
  text: string;
  data: WeatherResearchData;
  sandboxType: SandboxType;
  timings: ToolTimings;
}

export interface ChartWeatherInput {
  /** One to four places. */
  places: string[];
  dates?: string;
}

export interface ChartWeatherOutput {
  text: string;
  png: Uint8Array;
  fileName: string;
  sandboxType: SandboxType;
  data: WeatherResearchData;
  timings: ToolTimings;
}

/** Per-run context for tools that own their sandbox. */
export type ToolRunOptions = Omit<Partial<ToolRunContext>, 'sandbox'>;

export interface WeatherTool<Input, Output> {
  name: string;
  description: string;
  inputSchema: ZodType<Input>;
  sandboxType: SandboxType;
  /** Never throws: every failure comes back as readable text. */
  run(input: Input, context?: ToolRunOptions): Promise<Output>;
  /** Closes the sandbox the tool created (and any embedded pool it started). */
  close(): Promise<void>;
}
