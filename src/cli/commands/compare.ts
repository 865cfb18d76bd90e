/** `tidepool compare`: the same weather research on every configured backend, side by side. */
import type { Command } from 'commander';
import type { BackendResult, ComparisonReport, ResearchWeatherOutput, SandboxType, TimingStats } from '../../index.js';
import { SANDBOX_TYPES, sandboxAlias } from '../../sandbox/names.js';
import { EXIT_FAILURE, EXIT_OK, type CliContext } from '../context.js';
import { positiveInteger } from '../options.js';

interface CompareOptions {
  dates?: string;
  sandboxes: string;
  runs: number;
  json?: boolean;
  quiet?: boolean;
}

/** Which backends produced an answer, and whether those answers (only those) agree. */
export interface AnswerSummary {
  answered: SandboxType[];
  /** Backends that ran but whose research found nothing usable, with the reason it gave. */
  noAnswer: { sandboxType: SandboxType; reason: string }[];
  agree: boolean;
  /** Answered backends whose answer differs from the first answer. */
  disagreeing: SandboxType[];
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
      const [{ compareWeatherBackends, costEnvName }, { cliLifecycleListener }, { sandboxEnvOptions, todayFromEnv }] = await Promise.all([
        import('../../index.js'),
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
      const summary = summarizeAnswers(report);
      if (options.json) {
        const backends = report.backends.map(({ output, ...rest }) => ({ ...rest, answered: summary.answered.includes(rest.sandboxType), text: output?.text, data: output?.data }));
        const { agree, disagreeing, answered } = summary;
        context.stdout.write(`${JSON.stringify({ ...report, backends, answered, agree, disagreeing }, null, 2)}\n`);
      } else {
        context.stdout.write(formatComparison(destination, options, report, summary, costEnvName));
      }
      context.exitCode = summary.answered.length > 0 && summary.agree ? EXIT_OK : EXIT_FAILURE;
    });
}

/** A research output is an answer when it carries no error and at least one place was researched. */
function answerOf(output: ResearchWeatherOutput | undefined): { ok: true } | { ok: false; reason: string } {
  if (!output) return { ok: false, reason: 'no output' };
  if (output.data.error) return { ok: false, reason: output.data.error };
  const failed = output.data.places.filter((place) => !place.ok);
  if (output.data.places.length > failed.length) return { ok: true };
  const first = failed[0] as { message?: string } | undefined;
  return { ok: false, reason: first?.message ?? 'no place could be researched' };
}

export function summarizeAnswers(report: ComparisonReport): AnswerSummary {
  const answered: BackendResult[] = [];
  const noAnswer: AnswerSummary['noAnswer'] = [];
  for (const backend of report.backends) {
    if (backend.status !== 'ok') continue;
    const answer = answerOf(backend.output);
    if (answer.ok) answered.push(backend);
    else noAnswer.push({ sandboxType: backend.sandboxType, reason: answer.reason });
  }
  // Banners and timings legitimately differ per backend; the structured data must not.
  const reference = answered[0]?.output ? JSON.stringify(answered[0].output.data) : undefined;
  const disagreeing = answered.filter((backend) => JSON.stringify(backend.output?.data) !== reference).map((backend) => backend.sandboxType);
  return { answered: answered.map((backend) => backend.sandboxType), noAnswer, agree: disagreeing.length === 0, disagreeing };
}

type CostEnvName = (type: SandboxType) => string;

function formatComparison(destination: string, options: CompareOptions, report: ComparisonReport, summary: AnswerSummary, costEnvName: CostEnvName): string {
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
  if (summary.noAnswer.length) lines.push('', 'Ran, but found no answer:', ...summary.noAnswer.map((backend) => `  ${backend.sandboxType}: ${backend.reason}`));
  lines.push('');
  const { answered } = summary;
  if (answered.length === 0) lines.push(rows.length === 0 ? 'No backend ran.' : 'No backend produced an answer, so there is nothing to compare.');
  else if (!summary.agree) lines.push(`Outputs differ: ${summary.disagreeing.join(', ')} answered differently from ${answered[0]}.`);
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
