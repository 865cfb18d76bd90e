/** `tidepool/bench`: the benchmark suites behind `tidepool bench`. */
export { runBenchmarks, SUITES as BENCH_SUITES, DEFAULT_REPETITIONS, type BenchRunOptions } from './run.js';
export { BENCH_SUITE_NAMES, DEFAULT_SUITE_NAMES } from './suite-names.js';
export type { Metric, Metrics, BenchSuite, BenchContext, PlotData } from './types.js';
