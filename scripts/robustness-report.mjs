#!/usr/bin/env node
// Renders reports/robustness.md from the JSON the fuzz, soak, load and noisy-neighbour runs wrote
// to reports/data/ and from reports/findings.json. `npm run fuzz` and `npm run soak` call it after
// each run; `node scripts/robustness-report.mjs` renders again from what is there.
import console from 'node:console';
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

async function readRun(dir, name) {
  const file = path.join(dir, `${name}.json`);
  try {
    const [text, info] = await Promise.all([readFile(file, 'utf8'), stat(file)]);
    return { ...JSON.parse(text), recordedAt: info.mtime.toISOString().replace(/\.\d+Z$/, 'Z') };
  } catch (error) {
    if (error.code === 'ENOENT') return undefined;
    throw new Error(`${path.relative(process.cwd(), file)} cannot be read (${error.message}); run the matching npm script again.`, { cause: error });
  }
}

const number = (value) => (typeof value === 'number' ? value.toLocaleString('en-US') : String(value ?? '—'));

function table(headers, rows) {
  if (rows.length === 0) return `_${headers[0]}: none_\n`;
  return [`| ${headers.join(' | ')} |`, `|${headers.map(() => '---').join('|')}|`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n') + '\n';
}

function countsTable(title, counts) {
  const rows = Object.entries(counts ?? {})
    .sort((a, b) => b[1] - a[1])
    .map(([key, count]) => [key, number(count)]);
  return table([title, 'count'], rows);
}

const missing = (command) => `_Not run yet: \`${command}\`._\n`;

function fuzzSection(http, kernel, aca) {
  let text = '## Fuzzing\n\n';
  if (!http && !kernel && !aca) return text + missing('npm run fuzz -- --runs 100000');
  if (http) {
    const runs = Object.entries(http.runsByProperty).map(([name, count]) => `${name} ${number(count)}`).join(', ');
    text += `### HTTP edge (recorded ${http.recordedAt}, seed ${http.seed})\n\n`;
    text += `${number(http.requests)} requests in ${number(Math.round(http.durationMs / 1000))} s (runs per property: ${runs}). `;
    text += 'Every answer had a documented status, errors a JSON envelope with a documented code and no stack, path or source file; no answer took longer than the 15 s bound; no 200 carried another request\'s code, session or bytes.\n\n';
    text += countsTable('route', http.byRoute) + '\n' + countsTable('status', http.byStatus) + '\n';
  }
  if (kernel) {
    text += `### Kernel protocol, host side (recorded ${kernel.recordedAt}, seed ${kernel.seed})\n\n`;
    text += `Runs per property: ${Object.entries(kernel.runsByProperty).map(([name, count]) => `${name} ${number(count)}`).join(', ')}. Unhandled rejections: ${number(kernel.unhandledRejections)}.\n\n`;
    text += countsTable('outcome', kernel.outcomes) + '\n';
  }
  if (aca) {
    text += `### ACA client against a misbehaving service (recorded ${aca.recordedAt}, seed ${aca.seed})\n\n`;
    text += `${number(aca.requests)} requests over ${number(Object.values(aca.runsByProperty)[0])} calls. Unhandled rejections: ${number(aca.unhandledRejections)}. Every call settled with a contract value or a typed error:\n\n`;
    text += countsTable('operation: outcome', aca.outcomes) + '\n';
  }
  return text;
}

function findingsSection(findings) {
  let text = '## Cases found and fixed\n\n';
  text += 'Each has a replay in `test/fuzz/findings.test.ts`.\n\n';
  return text + table(['finding', 'found by', 'fixed in', 'what'], findings.map((f) => [`\`${f.id}\``, `\`${f.foundBy}\``, `\`${f.module}\``, f.summary]));
}

function soakSection(soak) {
  let text = '## Soak\n\n';
  if (!soak) return text + missing('npm run soak -- --executions 10000 --sessions 100 --minutes 10');
  const o = soak.options;
  text += `Recorded ${soak.recordedAt}: ${number(o.sessions)} sessions, ${number(o.executions)} executions spread over ${o.minutes} minutes, ${o.concurrency} requests in flight, seed ${o.seed}, ${Math.round(o.killShare * 100)}% of cells killing their own kernel, the pool stopped (SIGTERM) and started again once mid-run.\n\n`;
  const v = soak.violations;
  text += table(
    ['figure', 'value'],
    [
      ['duration', `${number(Math.round(soak.durationMs / 1000))} s`],
      ['executions (cells)', number(soak.executions)],
      ['lost answers', number(v.lost)],
      ['duplicated answers', number(v.duplicated)],
      ['crossed answers', number(v.crossed)],
      ['unexpected answers', number(v.unexpected)],
      ['cell latency p50 / p99', `${soak.executeLatencyMs.p50} ms / ${soak.executeLatencyMs.p99} ms`],
      ['sessions asked after the restart / answered SessionWithIdentifierNotFound', `${soak.restart.sessionsCheckedAfter} / ${soak.restart.sessionLostAnswers}`],
      ['async executions in flight at the restart / answered 404 NotFound after it', `${soak.restart.asyncStarted} / ${soak.restart.asyncAnsweredNotFound}`],
    ],
  );
  text += '\n' + countsTable('operation', soak.operations) + '\n' + countsTable('fault injected', soak.faults) + '\n' + countsTable('error answer', soak.errorsByKind) + '\n';
  if (soak.violationExamples.length > 0) text += `Examples:\n\n${soak.violationExamples.map((line) => `- ${line}`).join('\n')}\n\n`;
  const t = soak.trend;
  text += `### Server resources after the restart\n\nSecond quarter of the run after the restart against its last quarter (medians of samples taken every ${o.sampleEveryMs} ms): `;
  text += t.judged ? `**${t.flat ? 'flat' : 'growing'}**.\n\n` : 'too few samples to judge.\n\n';
  text += table(
    ['', 'start', 'end'],
    [
      ['resident memory (MB)', t.rssStartMb, t.rssEndMb],
      ['open descriptors', t.descriptorsStart, t.descriptorsEnd],
      ['threads', t.threadsStart, t.threadsEnd],
    ],
  );
  const byInstance = [1, 2].map((instance) => soak.samples.filter((sample) => sample.instance === instance)).filter((list) => list.length > 0);
  const range = (list, pick) => `${Math.min(...list.map(pick))}–${Math.max(...list.map(pick))}`;
  text += '\n' + table(
    ['server', 'samples kept', 'memory (MB)', 'descriptors', 'threads'],
    byInstance.map((list, index) => [index === 0 ? 'before the restart' : 'after the restart', list.length, range(list, (s) => Math.round(s.rssBytes / 1048576)), range(list, (s) => s.descriptors), range(list, (s) => s.threads)]),
  );
  return text + '\n';
}

function loadSection(load, noisy) {
  let text = '## Load\n\n';
  if (!load) text += missing('npm run soak');
  else {
    text += `Recorded ${load.recordedAt}: ${load.options.clients} concurrent clients on ${load.options.sessions} sessions for ${load.options.seconds} s, a trivial cell each time${load.poolFlags?.length ? ` (the pool ran with \`${load.poolFlags.join(' ')}\`: every client shares the loopback address, and the default cap of 256 connections per address reset some of their connections)` : ''}.\n\n`;
    text += table(
      ['figure', 'value'],
      [
        ['requests', number(load.requests)],
        ['requests per second', number(load.requestsPerSecond)],
        ['latency p50 / p99 / max', `${load.latencyMs.p50} / ${load.latencyMs.p99} / ${load.latencyMs.max} ms`],
        ['crossed answers', number(load.crossed)],
      ],
    );
    text += '\n' + countsTable('error answer', load.errorsByKind) + '\n';
  }
  text += '## Noisy neighbours\n\n';
  if (!noisy) return text + missing('npm run soak');
  const rounds = noisy.options.rounds ?? 1;
  text += `Recorded ${noisy.recordedAt}: a trivial cell (\`1 + 1\`) timed ${noisy.options.samples} times in a quiet session alone and ${noisy.options.samples} times while ${noisy.options.noisySessions} other sessions spin at full CPU, alternating in ${rounds} round${rounds === 1 ? '' : 's'} so load from outside the pool weighs on both alike (spinners still running at the end of their rounds: ${noisy.spinnersRunning} of ${noisy.options.noisySessions * rounds}).\n\n`;
  text += table(
    ['', 'p50', 'p99'],
    [
      ['quiet alone', `${noisy.quietP50Ms} ms`, `${noisy.quietP99Ms} ms`],
      ['next to the spinners', `${noisy.noisyP50Ms} ms`, `${noisy.noisyP99Ms} ms`],
    ],
  );
  text += `\np99 ratio: **${noisy.ratio}×** (target at most ${noisy.maxRatio}×: ${noisy.ratio <= noisy.maxRatio ? 'met' : '**not met**'}).\n`;
  return text;
}

/** Writes reports/robustness.md under `root` and returns its path. */
export async function renderReport(root) {
  const dataDir = path.join(root, 'reports', 'data');
  const [http, kernel, aca, soak, load, noisy] = await Promise.all(['fuzz-http', 'fuzz-kernel', 'fuzz-aca-client', 'soak', 'load', 'noisy-neighbours'].map((name) => readRun(dataDir, name)));
  const findings = JSON.parse(await readFile(path.join(root, 'reports', 'findings.json'), 'utf8'));
  const text = [
    '# Robustness\n',
    '_Written by `scripts/robustness-report.mjs` from the JSON in `reports/data/` that `npm run fuzz` and `npm run soak` record; edit those runs, not this file._\n',
    'The machine: a shared two-core Debian 12 host (other work running alongside), cgroup v1, the pool as root with bubblewrap isolation. CI runs the same fuzzers with seed 20261202 and a short soak on every `npm test`.\n',
    fuzzSection(http, kernel, aca),
    findingsSection(findings),
    soakSection(soak),
    loadSection(load, noisy),
  ].join('\n');
  const file = path.join(root, 'reports', 'robustness.md');
  await writeFile(file, text);
  return file;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  console.log(`wrote ${path.relative(process.cwd(), await renderReport(root))}`);
}
