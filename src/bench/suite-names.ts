/** The benchmark suites by name, in the order they run (kept apart so `tidepool bench --help` loads none of them). */
export const BENCH_SUITE_NAMES = ['local', 'weather', 'pool', 'nginx-hop', 'jupyter', 'cli'] as const;
