/** The benchmark suites by name, in the order they run (kept apart so `tidepool bench --help` loads none of them). */
export const BENCH_SUITE_NAMES = ['local', 'weather', 'pool', 'kinds', 'burst', 'nginx-hop', 'jupyter', 'cli', 'growth'] as const;

/**
 * What `tidepool bench` runs without --suite: all but growth, which keeps 1,000 sessions alive
 * (several minutes and several GiB) and runs only when named.
 */
export const DEFAULT_SUITE_NAMES: readonly string[] = BENCH_SUITE_NAMES.filter((name) => name !== 'growth');
