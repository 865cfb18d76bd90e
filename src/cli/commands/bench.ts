/** `tidepool bench`: run the benchmarks and write bench/results/latest.json. */
import path from 'node:path';
import type { Command } from 'commander';
import { BENCH_SUITE_NAMES } from '../../bench/suite-names.js';
import { EXIT_FAILURE, EXIT_USAGE, type CliContext } from '../context.js';

export function registerBench(program: Command, context: CliContext): void {
  program
    .command('bench')
    .description(`Run benchmarks (suites: ${BENCH_SUITE_NAMES.join(', ')}) and write bench/results/latest.json`)
    .option('--suite <names...>', 'only these suites')
    .option('--out <dir>', 'results directory', path.join('bench', 'results'))
    .action(async (options: { suite?: string[]; out: string }) => {
      const unknown = (options.suite ?? []).filter((name) => !(BENCH_SUITE_NAMES as readonly string[]).includes(name));
      if (unknown.length > 0) {
        context.stderr.write(`Unknown suite(s): ${unknown.join(', ')}. Valid: ${BENCH_SUITE_NAMES.join(', ')}\n`);
        context.exitCode = EXIT_USAGE;
        return;
      }
      const { runBenchmarks } = await import('../../bench/index.js');
      const { file, failures } = await runBenchmarks({
        suites: options.suite,
        resultsDir: options.out,
        context: { log: (line) => context.stderr.write(`${line}\n`), env: context.env },
      });
      context.stdout.write(`Results written to ${file}\n`);
      if (failures.length > 0) context.exitCode = EXIT_FAILURE;
    });
}
