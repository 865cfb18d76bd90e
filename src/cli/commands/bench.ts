/** `tidepool bench`: run the benchmarks and write bench/results/latest.json (and, with --plot, SVGs). */
import path from 'node:path';
import type { Command } from 'commander';
import { BENCH_SUITE_NAMES, DEFAULT_SUITE_NAMES } from '../../bench/suite-names.js';
import { EXIT_FAILURE, EXIT_USAGE, type CliContext } from '../context.js';

const MAX_REPETITIONS = 50;

export function registerBench(program: Command, context: CliContext): void {
  program
    .command('bench')
    .description(`Run benchmarks (default suites: ${DEFAULT_SUITE_NAMES.join(', ')}; also: growth, which keeps 1,000 sessions alive) and write bench/results/latest.json`)
    .option('--suite <names...>', `only these suites (${BENCH_SUITE_NAMES.join(', ')})`)
    .option('--out <dir>', 'results directory', path.join('bench', 'results'))
    .option('--repetitions <n>', 'times each suite repeats its measurements; each metric is the median (default 5)')
    .option('--plot', 'also write one SVG per suite (latency distributions; cost against live sessions) next to latest.json')
    .action(async (options: { suite?: string[]; out: string; repetitions?: string; plot?: boolean }) => {
      const unknown = (options.suite ?? []).filter((name) => !(BENCH_SUITE_NAMES as readonly string[]).includes(name));
      if (unknown.length > 0) {
        context.stderr.write(`Unknown suite(s): ${unknown.join(', ')}. Valid: ${BENCH_SUITE_NAMES.join(', ')}\n`);
        context.exitCode = EXIT_USAGE;
        return;
      }
      let repetitions: number | undefined;
      if (options.repetitions !== undefined) {
        repetitions = Number(options.repetitions);
        if (!Number.isInteger(repetitions) || repetitions < 1 || repetitions > MAX_REPETITIONS) {
          context.stderr.write(`--repetitions must be a whole number from 1 to ${MAX_REPETITIONS}, got "${options.repetitions}".\n`);
          context.exitCode = EXIT_USAGE;
          return;
        }
      }
      const { runBenchmarks } = await import('../../bench/index.js');
      const { file, plots, failures } = await runBenchmarks({
        suites: options.suite,
        resultsDir: options.out,
        ...(repetitions !== undefined && { repetitions }),
        plot: options.plot ?? false,
        context: { log: (line) => context.stderr.write(`${line}\n`), env: context.env },
      });
      context.stdout.write(`Results written to ${file}\n`);
      for (const plot of plots) context.stdout.write(`Plot written to ${plot}\n`);
      if (failures.length > 0) context.exitCode = EXIT_FAILURE;
    });
}
