#!/usr/bin/env node
// `npm run soak -- [--executions N] [--sessions N] [--minutes M] ...`: the soak against a real pool
// (mixed work, kernels killed, one restart), then load and noisy neighbours, their figures written
// to reports/data/ and reports/robustness.md rendered again from them. Needs root, bubblewrap and
// cgroups like the pool itself.
import { spawnSync } from 'node:child_process';
import console from 'node:console';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { renderReport } from './robustness-report.mjs';
import { parseScriptArgs } from './script-args.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const USAGE = `Usage: npm run soak -- [options]

Soak:
  --executions N     cells to run across all sessions, spread evenly over the minutes (default 10000)
  --sessions N       sessions (default 100)
  --minutes M        how long the soak runs (default 10)
  --concurrency N    requests in flight at once (default 16)
  --kill-share F     share of cells that kill their own kernel (default 0.03)
  --seed S           seed of the operation mix (default 20261202)
Load and noisy neighbours:
  --load-clients N   concurrent clients (default 200)
  --load-sessions N  sessions they share (default 100)
  --load-seconds S   how long (default 60)
  --noisy N          sessions spinning at full CPU next to the quiet one (default 10)
  --noisy-samples N  trivial cells timed alone and, as many, next to the spinners (default 400)
  --noisy-rounds N   alternations of alone and next to the spinners (default 4)
  --only PART        run one part: soak, load or noisy (default all three)`;

const NUMERIC = {
  executions: ['TIDEPOOL_SOAK_EXECUTIONS', 10_000],
  sessions: ['TIDEPOOL_SOAK_SESSIONS', 100],
  minutes: ['TIDEPOOL_SOAK_MINUTES', 10],
  concurrency: ['TIDEPOOL_SOAK_CONCURRENCY', 16],
  'kill-share': ['TIDEPOOL_SOAK_KILL_SHARE', 0.03],
  seed: ['TIDEPOOL_SOAK_SEED', 20_261_202],
  'load-clients': ['TIDEPOOL_LOAD_CLIENTS', 200],
  'load-sessions': ['TIDEPOOL_LOAD_SESSIONS', 100],
  'load-seconds': ['TIDEPOOL_LOAD_SECONDS', 60],
  noisy: ['TIDEPOOL_LOAD_NOISY', 10],
  'noisy-samples': ['TIDEPOOL_LOAD_SAMPLES', 400],
  'noisy-rounds': ['TIDEPOOL_LOAD_ROUNDS', 4],
};

const numeric = Object.fromEntries(Object.keys(NUMERIC).map((name) => [name, { type: 'string' }]));
const values = parseScriptArgs({ ...numeric, only: { type: 'string' } }, USAGE);
const env = { ...process.env, TIDEPOOL_ROBUSTNESS_RECORD_DIR: path.join(ROOT, 'reports', 'data'), TIDEPOOL_SOAK_SAMPLE_MS: '1000' };
for (const [name, [variable, fallback]] of Object.entries(NUMERIC)) {
  const raw = values[name] ?? String(fallback);
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || (name !== 'minutes' && name !== 'kill-share' && !Number.isInteger(value)) || (name === 'kill-share' && value >= 0.5)) {
    console.error(`--${name} must be a positive ${name === 'minutes' || name === 'kill-share' ? 'number' : 'whole number'}${name === 'kill-share' ? ' below 0.5' : ''}, got "${raw}".\n\n${USAGE}`);
    process.exit(2);
  }
  env[variable] = String(value);
}
const PARTS = {
  soak: ['test/soak/soak.test.ts'],
  load: ['test/soak/load.soak.ts', '-t', 'concurrent clients'],
  noisy: ['test/soak/load.soak.ts', '-t', 'quiet session'],
};
if (values.only !== undefined && !Object.hasOwn(PARTS, values.only)) {
  console.error(`--only must be soak, load or noisy, got "${values.only}".\n\n${USAGE}`);
  process.exit(2);
}
const selection = values.only === undefined ? ['test/soak/soak.test.ts', 'test/soak/load.soak.ts'] : PARTS[values.only];
const vitest = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'vitest'), ['run', '--config', 'test/soak/vitest.config.ts', ...selection], { cwd: ROOT, stdio: 'inherit', env });
const report = await renderReport(ROOT);
console.log(`wrote ${path.relative(ROOT, report)}`);
process.exit(vitest.status ?? 1);
