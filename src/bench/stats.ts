import type { Metric } from './types.js';

/** Nearest-rank percentile of a sample (p in 0..100). */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function round(value: number, digits = 3): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** Times `fn` `count` times after `warmup` untimed runs; returns milliseconds per run. */
export async function sample(count: number, fn: () => Promise<unknown>, warmup = 0): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await fn();
    times.push(performance.now() - started);
  }
  return times;
}

export interface MetricSpec {
  unit: string;
  digits?: number;
  target?: number;
  better?: 'lower' | 'higher';
  note?: string;
}

/** One value per repetition → the median as the metric, with the spread and the count beside it. */
export function summarise(values: number[], spec: MetricSpec): Metric {
  const digits = spec.digits ?? 3;
  return {
    value: round(median(values), digits),
    unit: spec.unit,
    ...(spec.target !== undefined && { target: spec.target, better: spec.better ?? 'lower' }),
    spread: { min: round(Math.min(...values), digits), max: round(Math.max(...values), digits) },
    repetitions: values.length,
    ...(spec.note && { note: spec.note }),
  };
}

/**
 * Collects named values over repetitions: `add('warm_p50', x)` once per repetition, then
 * `metric('warm_p50', spec)` summarises them.
 */
export class Repetitions {
  readonly #values = new Map<string, number[]>();

  add(name: string, value: number): void {
    const list = this.#values.get(name) ?? [];
    list.push(value);
    this.#values.set(name, list);
  }

  metric(name: string, spec: MetricSpec): Metric {
    const values = this.#values.get(name);
    if (!values || values.length === 0) throw new Error(`no measurement named ${name} was taken`);
    return summarise(values, spec);
  }
}
