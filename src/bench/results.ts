/**
 * Writes bench/results/latest.json (plus a dated copy): the machine (CPU model, how idle CPUs wait,
 * load average at the start and end of the run and of each suite), every metric with its spread and
 * pass/fail, and lists of the targets met and missed.
 */
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Metric, Metrics } from './types.js';

export function passes(metric: Metric): boolean | undefined {
  if (metric.target === undefined) return undefined;
  return (metric.better ?? 'lower') === 'lower' ? metric.value <= metric.target : metric.value >= metric.target;
}

/** 1-, 5- and 15-minute load averages, rounded. */
export function loadAverage(): number[] {
  return os.loadavg().map((value) => Math.round(value * 100) / 100);
}

/**
 * How an idle CPU waits for work, where Linux says: the cpuidle driver and, in a virtual machine
 * with the haltpoll driver, how long an idle vCPU polls before it halts. Waking a halted vCPU costs
 * tens of microseconds, and a warm cell wakes the kernel's CPU and then the server's, so two
 * machines with the same CPU model can differ by that much per cell.
 */
export function cpuIdle(): { driver?: string; guestHaltPollNs?: number } {
  const read = (file: string) => {
    try {
      return readFileSync(file, 'utf8').trim();
    } catch {
      return undefined;
    }
  };
  const driver = read('/sys/devices/system/cpu/cpuidle/current_driver');
  const haltPoll = read('/sys/module/haltpoll/parameters/guest_halt_poll_ns');
  return { ...(driver !== undefined && { driver }), ...(haltPoll !== undefined && { guestHaltPollNs: Number(haltPoll) }) };
}

export interface SuiteRecord {
  loadAverageAtStart: number[];
  loadAverageAtEnd: number[];
  durationSeconds: number;
  /** Set when the suite failed (its metrics are then missing). */
  error?: string;
}

export interface RunRecord {
  startedAt: Date;
  loadAverageAtStart: number[];
  repetitions: number;
  suites: Record<string, SuiteRecord>;
}

export async function writeResults(directory: string, metrics: Metrics, run: RunRecord): Promise<string> {
  await mkdir(directory, { recursive: true });
  const judged = Object.fromEntries(
    Object.entries(metrics).map(([name, metric]) => {
      const verdict = passes(metric);
      return [name, verdict === undefined ? metric : { ...metric, pass: verdict }];
    }),
  );
  const withTargets = Object.entries(judged).filter(([, metric]) => metric.pass !== undefined);
  const document = {
    generatedAt: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      memoryGb: Math.round(os.totalmem() / 2 ** 30),
      cpuIdle: cpuIdle(),
      node: process.version,
      loadAverage: { atStart: run.loadAverageAtStart, atEnd: loadAverage() },
    },
    run: { startedAt: run.startedAt.toISOString(), repetitions: run.repetitions, suites: run.suites },
    targets: {
      met: withTargets.filter(([, metric]) => metric.pass).map(([name]) => name),
      missed: withTargets.filter(([, metric]) => !metric.pass).map(([name]) => name),
    },
    metrics: judged,
  };
  const text = `${JSON.stringify(document, null, 2)}\n`;
  const latest = path.join(directory, 'latest.json');
  await writeFile(latest, text);
  await writeFile(path.join(directory, `${document.generatedAt.replace(/[:.]/g, '-')}.json`), text);
  return latest;
}

export function formatMetrics(metrics: Metrics): string {
  return Object.entries(metrics)
    .map(([name, metric]) => {
      const verdict = passes(metric);
      const goal = metric.target === undefined ? '' : ` (target ${metric.better === 'higher' ? '>=' : '<='} ${metric.target})`;
      const spread = metric.spread && (metric.repetitions ?? 1) > 1 ? ` [${metric.spread.min}–${metric.spread.max} over ${metric.repetitions}]` : '';
      const mark = verdict === undefined ? ' ' : verdict ? '✓' : '✗';
      return `${mark} ${name}: ${metric.value} ${metric.unit}${spread}${goal}`;
    })
    .join('\n');
}
