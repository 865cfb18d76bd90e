/** Runs benchmark suites one after another and writes their metrics. */
import { formatMetrics, writeResults } from './results.js';
import { cliSuite } from './suites/cli.js';
import { jupyterSuite } from './suites/jupyter.js';
import { localSuite } from './suites/local.js';
import { nginxHopSuite } from './suites/nginx-hop.js';
import { poolSuite } from './suites/pool.js';
import { weatherSuite } from './suites/weather.js';
import type { BenchContext, BenchSuite, Metrics } from './types.js';

/** Every suite, in the order they run. Suites that need missing pieces report why and are skipped. */
export const SUITES: BenchSuite[] = [localSuite, weatherSuite, poolSuite, nginxHopSuite, jupyterSuite, cliSuite];

export interface BenchRunOptions {
  suites?: string[];
  resultsDir: string;
  context: BenchContext;
}

export async function runBenchmarks(options: BenchRunOptions): Promise<{ metrics: Metrics; file: string; failures: string[] }> {
  const wanted = options.suites && options.suites.length > 0 ? SUITES.filter((suite) => options.suites!.includes(suite.name)) : SUITES;
  const metrics: Metrics = {};
  const failures: string[] = [];
  for (const suite of wanted) {
    options.context.log(`▶ ${suite.name}: ${suite.description}`);
    try {
      const result = await suite.run(options.context);
      Object.assign(metrics, result);
      options.context.log(formatMetrics(result));
    } catch (error) {
      failures.push(`${suite.name}: ${(error as Error).message}`);
      options.context.log(`✗ ${suite.name} failed: ${(error as Error).message}`);
    }
  }
  const file = await writeResults(options.resultsDir, metrics);
  return { metrics, file, failures };
}
