/** Writes bench/results/latest.json as {"metrics": {name: {value, unit, target}}}, plus a dated copy. */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Metric, Metrics } from './types.js';

export function passes(metric: Metric): boolean | undefined {
  if (metric.target === undefined) return undefined;
  return (metric.better ?? 'lower') === 'lower' ? metric.value <= metric.target : metric.value >= metric.target;
}

export async function writeResults(directory: string, metrics: Metrics): Promise<string> {
  await mkdir(directory, { recursive: true });
  const document = {
    generatedAt: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', memoryGb: Math.round(os.totalmem() / 2 ** 30), node: process.version },
    metrics,
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
      const mark = verdict === undefined ? ' ' : verdict ? '✓' : '✗';
      return `${mark} ${name}: ${metric.value} ${metric.unit}${goal}`;
    })
    .join('\n');
}
