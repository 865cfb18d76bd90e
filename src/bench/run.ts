/** Runs benchmark suites one after another and writes their metrics (and, if asked, plots). */
import { writePlots } from './plot.js';
import { peerRatios } from './ratios.js';
import { formatMetrics, loadAverage, writeResults, type RunRecord } from './results.js';
import { burstSuite } from './suites/burst.js';
import { cliSuite } from './suites/cli.js';
import { growthSuite } from './suites/growth.js';
import { jupyterSuite } from './suites/jupyter.js';
import { kindsSuite } from './suites/kinds.js';
import { localSuite } from './suites/local.js';
import { nginxHopSuite } from './suites/nginx-hop.js';
import { poolSuite } from './suites/pool.js';
import { weatherSuite } from './suites/weather.js';
import type { BenchContext, BenchSuite, Metrics, PlotData } from './types.js';
import { DEFAULT_SUITE_NAMES } from './suite-names.js';

/** Every suite, in the order they run. Suites that need missing pieces report why and are skipped. */
export const SUITES: BenchSuite[] = [localSuite, weatherSuite, poolSuite, kindsSuite, burstSuite, nginxHopSuite, jupyterSuite, cliSuite, growthSuite];

export const DEFAULT_REPETITIONS = 5;

export interface BenchRunOptions {
  /** Suites by name; default every suite in DEFAULT_SUITE_NAMES (the long growth suite only when named). */
  suites?: string[];
  resultsDir: string;
  /** Default 5. */
  repetitions?: number;
  /** Also write one SVG per suite next to latest.json. */
  plot?: boolean;
  context: Pick<BenchContext, 'log' | 'env'>;
}

export async function runBenchmarks(options: BenchRunOptions): Promise<{ metrics: Metrics; file: string; plots: string[]; failures: string[] }> {
  const names: readonly string[] = options.suites && options.suites.length > 0 ? options.suites : DEFAULT_SUITE_NAMES;
  const wanted = SUITES.filter((suite) => names.includes(suite.name));
  const repetitions = options.repetitions ?? DEFAULT_REPETITIONS;
  const metrics: Metrics = {};
  const failures: string[] = [];
  const plots = new Map<string, PlotData[]>();
  const run: RunRecord = { startedAt: new Date(), loadAverageAtStart: loadAverage(), repetitions, suites: {} };
  for (const suite of wanted) {
    const kept: PlotData[] = [];
    plots.set(suite.name, kept);
    const context: BenchContext = { ...options.context, repetitions, plot: (data) => kept.push(data) };
    const started = performance.now();
    const atStart = loadAverage();
    options.context.log(`▶ ${suite.name}: ${suite.description} (load average ${atStart.join(', ')})`);
    let error: string | undefined;
    try {
      const result = await suite.run(context);
      Object.assign(metrics, result);
      options.context.log(formatMetrics(result));
    } catch (caught) {
      error = (caught as Error).message;
      failures.push(`${suite.name}: ${error}`);
      options.context.log(`✗ ${suite.name} failed: ${error}`);
    }
    run.suites[suite.name] = { loadAverageAtStart: atStart, loadAverageAtEnd: loadAverage(), durationSeconds: Math.round((performance.now() - started) / 100) / 10, ...(error && { error }) };
  }
  const ratios = peerRatios(metrics);
  if (Object.keys(ratios).length > 0) options.context.log(formatMetrics(ratios));
  Object.assign(metrics, ratios);
  const file = await writeResults(options.resultsDir, metrics, run);
  const written = options.plot ? await writePlots(options.resultsDir, plots) : [];
  return { metrics, file, plots: written, failures };
}
