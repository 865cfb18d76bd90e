/** `tidepool compare`: the same weather research on every configured backend, side by side. */
import type { Command } from 'commander';
import { SANDBOX_TYPES, sandboxAlias } from '../../sandbox/names.js';
import type { SandboxType } from '../../sandbox/types.js';
import type { BackendResult, ComparisonReport, TimingStats } from '../compare/compare-backends.js';
import { EXIT_FAILURE, EXIT_OK, type CliContext } from '../context.js';
import { positiveInteger } from '../options.js';

interface CompareOptions {
  dates?: string;
  sandboxes: string;
  runs: number;
  json?: boolean;
  quiet?: boolean;
}

export function registerCompare(program: Command, context: CliContext): void {
  program
    .command('compare')
    .description('Run the same weather research on several sandboxes: timings, whether answers agree, estimated cost per run (exit 1 when no backend answers or the answers differ)')
    .argument('<destination>', 'a place ("Paris, France") or several ("Miami and Tokyo")')
    .option('-d, --dates <dates>', 'travel dates, as for `tidepool research`')
    .option('--sandboxes <list>', 'comma-separated backends', SANDBOX_TYPES.map(sandboxAlias).join(','))
    .option('--runs <n>', 'runs per backend, each in a fresh session (p50/p95 when > 1)', positiveInteger('--runs'), 1)
    .option('--json', 'print the comparison as JSON')
    .option('-q, --quiet', 'no lifecycle lines on stderr')
    .action(async (destination: string, options: CompareOptions) => {
      const [{ compareWeatherBackends }, { costEnvName }, { cliLifecycleListener }, { sandboxEnvOptions, todayFromEnv }] = await Promise.all([
        import('../compare/compare-backends.js'),
        import('../compare/cost-rates.js'),
        import('../lifecycle-output.js'),
        import('./weather-options.js'),
      ]);
      const report = await compareWeatherBackends(
        { destination, dates: options.dates },
        {
          sandboxes: options.sandboxes.split(',').map((name) => name.trim()).filter(Boolean),
          runs: options.runs,
          env: context.env,
          today: todayFromEnv(context.env),
          sandboxOptions: sandboxEnvOptions(context.env),
          onLifecycle: options.quiet ? undefined : await cliLifecycleListener(context.stderr, context.env),
        },
      );
      if (options.json) {
        const backends = report.backends.map(({ output, answer, ...rest }) => ({ ...rest, answered: answer?.ok === true, text: output?.text, data: output?.data }));
        context.stdout.write(`${JSON.stringify({ ...report, backends }, null, 2)}\n`);
      } else {
        context.stdout.write(formatComparison(destination, options, report, costEnvName));
      }
      context.exitCode = report.answered.length > 0 && report.agree ? EXIT_OK : EXIT_FAILURE;
    });
}

type CostEnvName = (type: SandboxType) => string;

function formatComparison(destination: string, options: CompareOptions, report: ComparisonReport, costEnvName: CostEnvName): string {
  const single = options.runs === 1;
  const heading = single ? ['Backend', 'Ready ms', 'Execution ms', 'Total ms', 'Est. cost/run'] : ['Backend', 'Ready p50/p95 ms', 'Execution p50/p95 ms', 'Total p50/p95 ms', 'Est. cost/run'];
  const rows: string[][] = [];
  const notes: string[] = [];
  for (const backend of report.backends) {
    if (backend.status !== 'ok') {
      notes.push(`  ${backend.sandboxType}: ${backend.status === 'unconfigured' ? 'not configured' : 'failed'}: ${backend.reason}`);
      continue;
    }
    rows.push([backend.sandboxType, cell(backend.readyMs, single), cell(backend.executionMs, single), cell(backend.totalMs, single), cost(backend, costEnvName)]);
  }
  const lines = [`Weather research for "${destination}" (${options.dates ?? 'current'}), ${options.runs} run(s) per backend`, ''];
  if (rows.length) lines.push(...table([heading, ...rows]));
  if (notes.length) lines.push('', 'Not run:', ...notes);
  const noAnswer = report.backends.flatMap((backend) => (backend.answer && !backend.answer.ok ? [`  ${backend.sandboxType}: ${backend.answer.reason}`] : []));
  if (noAnswer.length) lines.push('', 'Ran, but found no answer:', ...noAnswer);
  lines.push('');
  const { answered } = report;
  if (answered.length === 0) lines.push(rows.length === 0 ? 'No backend ran.' : 'No backend produced an answer, so there is nothing to compare.');
  else if (!report.agree) lines.push(`Outputs differ: ${report.disagreeing.join(', ')} answered differently from ${answered[0]}.`);
  else if (answered.length === 1) lines.push(`Only ${answered[0]} produced an answer; there is nothing to compare it with.`);
  else lines.push(`Outputs agree: ${answered.join(', ')} gave the same structured answer.`);
  lines.push('Cost: estimated p50 total seconds × rate; set TIDEPOOL_COST_<BACKEND>_PER_SECOND (USD) to change a rate.');
  return `${lines.join('\n')}\n`;
}

function cell(stats: TimingStats | undefined, single: boolean): string {
  if (!stats) return 'n/a';
  return single ? String(stats.p50) : `${stats.p50} / ${stats.p95}`;
}

function cost(backend: BackendResult, costEnvName: CostEnvName): string {
  if (backend.costPerRunUsd === undefined) return `n/a (set ${costEnvName(backend.sandboxType)})`;
  if (backend.costPerSecondUsd === 0) return '$0 (own machine)';
  return `$${backend.costPerRunUsd.toPrecision(2)} (at $${backend.costPerSecondUsd}/s)`;
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((value, column) => value.padEnd(widths[column]!)).join('  ').trimEnd());
}
