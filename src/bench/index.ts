/** `tidepool/bench`: the benchmark suites behind `tidepool bench`. */
export { runBenchmarks, SUITES as BENCH_SUITES, type BenchRunOptions } from './run.js';
export { BENCH_SUITE_NAMES } from './suite-names.js';
export type { Metric, Metrics, BenchSuite, BenchContext } from './types.js';
