#!/usr/bin/env node
// `npm run fuzz -- [--runs N] [--seed S]`: the fuzzers of test/fuzz with more runs than CI gives
// them (CI: 400 per property, seed 20261202), their figures written to reports/data/ and
// reports/robustness.md rendered again from them.
import { spawnSync } from 'node:child_process';
import console from 'node:console';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { renderReport } from './robustness-report.mjs';
import { parseScriptArgs } from './script-args.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const USAGE = `Usage: npm run fuzz -- [--runs N] [--seed S]

  --runs N   runs of each HTTP-edge and kernel property (default 10000); the others run
             a set fraction of N (execution bodies and uploads half, the ACA client a fiftieth)
  --seed S   fast-check seed (default: a new one, printed; CI uses 20261202)

A failing property prints its seed and counterexample; re-run with that --seed to replay it.`;

function wholeNumber(name, raw, min) {
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min) {
    console.error(`--${name} must be a whole number of ${min} or more, got "${raw}".\n\n${USAGE}`);
    process.exit(2);
  }
  return value;
}

const values = parseScriptArgs({ runs: { type: 'string' }, seed: { type: 'string' } }, USAGE);
const runs = values.runs === undefined ? 10_000 : wholeNumber('runs', values.runs, 1);
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : wholeNumber('seed', values.seed, -(2 ** 31));
console.log(`fuzzing with --runs ${runs} --seed ${seed}`);

const dataDir = path.join(ROOT, 'reports', 'data');
const vitest = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'vitest'), ['run', 'test/fuzz', '--testTimeout', '0'], {
  cwd: ROOT,
  stdio: 'inherit',
  env: { ...process.env, TIDEPOOL_FUZZ_RUNS: String(runs), TIDEPOOL_FUZZ_SEED: String(seed), TIDEPOOL_ROBUSTNESS_RECORD_DIR: dataDir },
});
const report = await renderReport(ROOT);
console.log(`wrote ${path.relative(ROOT, report)}`);
process.exit(vitest.status ?? 1);
