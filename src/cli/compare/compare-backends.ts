/**
 * `tidepool compare`'s engine: the same weather research on several backends, compared — timings
 * (p50/p95 over runs), whether the answers agree (banners and timings excluded, and only backends
 * that produced an answer count), and an estimated cost per run. Backends that are not configured
 * are reported with the reason, not run.
 */
import type { Env } from '../../config/settings.js';
import { ConfigurationError, isSandboxError } from '../../errors.js';
import { createSandbox, type CreateSandboxOptions } from '../../sandbox/factory.js';
import type { LifecycleListener } from '../../sandbox/lifecycle.js';
import { resolveSandboxType } from '../../sandbox/names.js';
import type { SandboxType } from '../../sandbox/types.js';
import { researchAnswer } from '../../tools/research-answer.js';
import { researchWeather, type WeatherToolOptions } from '../../tools/research-weather.js';
import type { ResearchWeatherInput, ResearchWeatherOutput, ToolTimings } from '../../tools/types.js';
import { heldLifecycle } from '../lifecycle-output.js';
import { costPerSecondUsd } from './cost-rates.js';

export interface CompareBackendsOptions extends WeatherToolOptions {
  sandboxes: string[];
  /** Runs per backend (each in a fresh session); default 1. */
  runs?: number;
  env?: Env;
  /** Lifecycle events of every run (the CLI prints them). */
  onLifecycle?: LifecycleListener;
  /** Options for createSandbox; `env` is filled in from `env`. */
  sandboxOptions?: CreateSandboxOptions;
}

export interface TimingStats {
  p50: number;
  p95: number;
}

export interface BackendResult {
  sandboxType: SandboxType;
  status: 'ok' | 'unconfigured' | 'failed';
  /** Why it was not run, or how it failed. */
  reason?: string;
  runs: ToolTimings[];
  readyMs?: TimingStats;
  executionMs?: TimingStats;
  totalMs?: TimingStats;
  /** Estimated USD per run (p50 total time × rate); undefined when the rate is unknown. */
  costPerRunUsd?: number;
  costPerSecondUsd?: number;
  /** The first run's output. */
  output?: ResearchWeatherOutput;
  /** Whether the first run's output is an answer; when not, why (status 'ok' only). */
  answer?: { ok: true } | { ok: false; reason: string };
}

export interface ComparisonReport {
  backends: BackendResult[];
  /** Backends that ran and produced an answer (not an error told in words). */
  answered: SandboxType[];
  /** True when every answer is the same structured answer (vacuously true with none). */
  agree: boolean;
  /** Answered backends whose answer differs from the first answer. */
  disagreeing: SandboxType[];
}

export async function compareWeatherBackends(input: ResearchWeatherInput, options: CompareBackendsOptions): Promise<ComparisonReport> {
  const env = options.env ?? process.env;
  const runs = Math.max(1, Math.floor(options.runs ?? 1));
  const types = [...new Set(options.sandboxes.map((name) => resolveSandboxType(name)))];
  const backends: BackendResult[] = [];
  // One backend at a time, so they do not compete for the CPU and skew each other's timings.
  for (const type of types) backends.push(await runBackend(type, input, runs, env, options));
  return { backends, ...compareAnswers(backends) };
}

/** Which backends answered, and whether those answers (only those) agree with the first one. */
export function compareAnswers(backends: BackendResult[]): Omit<ComparisonReport, 'backends'> {
  const answered = backends.filter((backend) => backend.status === 'ok' && backend.answer?.ok);
  const reference = answered[0]?.output ? comparable(answered[0].output) : undefined;
  const disagreeing = answered.filter((backend) => backend.output && comparable(backend.output) !== reference).map((backend) => backend.sandboxType);
  return { answered: answered.map((backend) => backend.sandboxType), agree: disagreeing.length === 0, disagreeing };
}

async function runBackend(type: SandboxType, input: ResearchWeatherInput, runs: number, env: Env, options: CompareBackendsOptions): Promise<BackendResult> {
  const result: BackendResult = { sandboxType: type, status: 'ok', runs: [] };
  // Each run's "finished" line waits for its answer, so a run that failed in words reads as failed.
  const lifecycle = options.onLifecycle ? heldLifecycle(options.onLifecycle) : undefined;
  let sandbox;
  try {
    sandbox = createSandbox(type, withEnv(options.sandboxOptions, env, lifecycle?.listener, input.destination));
  } catch (error) {
    return { ...result, status: isSandboxError(error) && error instanceof ConfigurationError ? 'unconfigured' : 'failed', reason: message(error) };
  }
  try {
    for (let run = 0; run < runs; run++) {
      const output = await researchWeather(input, { sandbox }, { ...options, env });
      const answer = researchAnswer(output);
      lifecycle?.release(answer.ok);
      result.output ??= output;
      result.answer ??= answer;
      result.runs.push(output.timings);
    }
  } catch (error) {
    lifecycle?.release(false);
    const unconfigured = error instanceof ConfigurationError && result.runs.length === 0;
    return { ...result, status: unconfigured ? 'unconfigured' : 'failed', reason: message(error) };
  } finally {
    await sandbox.close().catch(() => undefined);
  }
  result.readyMs = stats(result.runs.map((run) => run.readyMs));
  result.executionMs = stats(result.runs.map((run) => run.executionMs));
  result.totalMs = stats(result.runs.map((run) => run.totalMs));
  const rate = costPerSecondUsd(type, env);
  if (rate !== undefined) {
    result.costPerSecondUsd = rate;
    result.costPerRunUsd = ((result.totalMs?.p50 ?? 0) / 1000) * rate;
  }
  return result;
}

function withEnv(options: CreateSandboxOptions = {}, env: Env, onLifecycle: LifecycleListener | undefined, label: string): CreateSandboxOptions {
  return {
    label,
    ...options,
    onLifecycle: onLifecycle ?? options.onLifecycle,
    aca: { env, ...options.aca },
    pool: { env, ...options.pool },
    e2b: { env, ...options.e2b },
    daytona: { env, ...options.daytona },
  };
}

/** The structured answer without what legitimately differs per backend (banner, timings). */
function comparable(output: ResearchWeatherOutput): string {
  return JSON.stringify(output.data);
}

function stats(values: (number | undefined)[]): TimingStats | undefined {
  const known = values.filter((value): value is number => value !== undefined).sort((a, b) => a - b);
  if (known.length === 0) return undefined;
  const at = (p: number) => known[Math.min(known.length, Math.max(1, Math.ceil((p / 100) * known.length))) - 1]!;
  return { p50: at(50), p95: at(95) };
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
