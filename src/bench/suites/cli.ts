/**
 * The command line as a person meets it: whole processes, from start to exit. `tidepool exec`
 * against a running local pool (started here, recorded in a state directory of its own, so the
 * suite neither finds nor disturbs the user's), `tidepool exec` with a pool embedded in the
 * command, and the import of the root entry.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PACKAGE_ROOT } from '../../paths.js';
import { percentile, round, sample } from '../stats.js';
import type { BenchSuite, Metrics } from '../types.js';

const BIN = path.join(PACKAGE_ROOT, 'bin', 'tidepool.js');
const LOCAL_POOL_RUNS = 15;
const EMBEDDED_RUNS = 5;
const IMPORT_RUNS = 15;
/** The local pool's default. */
const POOL_READY_SESSIONS = 4;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function node(args: string[], env: Record<string, string | undefined>): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: PACKAGE_ROOT, env, encoding: 'utf8', timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
    });
  });
}

/**
 * Waits until the local pool has refilled its ready sessions, so each timed run meets the pool as a
 * person running commands a few seconds apart does (not while it still sets up the last run's
 * replacement on the same cores).
 */
async function poolSettled(stateFile: string): Promise<void> {
  const state = JSON.parse(await readFile(stateFile, 'utf8')) as { url: string; apiKey: string };
  const deadline = Date.now() + 30_000;
  let ready = 0;
  while (Date.now() < deadline) {
    const health = (await (await fetch(`${state.url}/healthz`, { headers: { authorization: `Bearer ${state.apiKey}` } })).json()) as { sessions?: { ready: number } };
    ready = health.sessions?.ready ?? 0;
    if (ready >= POOL_READY_SESSIONS) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`the local pool did not refill its ${POOL_READY_SESSIONS} ready sessions within 30 s (${ready} ready)`);
}

/** Runs `node args` and fails the suite when the run does not look as expected. */
async function expectRun(args: string[], env: Record<string, string | undefined>, check: (run: Run) => boolean): Promise<void> {
  const run = await node(args, env);
  if (!check(run)) throw new Error(`\`node ${args.join(' ')}\` exited ${run.code}: ${(run.stderr || run.stdout).trim().slice(-600)}`);
}

export const cliSuite: BenchSuite = {
  name: 'cli',
  description: 'tidepool exec as whole processes (local pool, embedded pool) and the import time of the root entry',
  async run(context) {
    const stateHome = await mkdtemp(path.join(os.tmpdir(), 'tidepool-bench-cli-'));
    // Nothing of the caller's own pool, logs or .env-driven pool settings may leak into the runs.
    const env: Record<string, string | undefined> = { PATH: context.env.PATH, HOME: context.env.HOME, XDG_STATE_HOME: stateHome, TIDEPOOL_PYTHON: context.env.TIDEPOOL_PYTHON };
    const exec = ['--no-warnings', BIN, 'exec', 'print(1)'];
    const printedOne = (run: Run) => run.code === 0 && run.stdout === '1\n';
    const metrics: Metrics = {};
    try {
      context.log(`cli: ${IMPORT_RUNS} processes importing the root entry`);
      const bare = await sample(IMPORT_RUNS, () => expectRun(['-e', ''], env, (run) => run.code === 0), 2);
      const imports = await sample(IMPORT_RUNS, () => expectRun(['-e', "import('tidepool')"], env, (run) => run.code === 0), 2);

      context.log(`cli: ${EMBEDDED_RUNS} exec runs with a pool embedded in the command`);
      const embedded = await sample(EMBEDDED_RUNS, () => expectRun(exec, env, (run) => printedOne(run) && !run.stderr.includes('local pool')), 1);

      context.log('cli: starting a local pool');
      await expectRun(['--no-warnings', BIN, 'pool', 'start', '--port', '0'], env, (run) => run.code === 0 && /^http:\/\/127\.0\.0\.1:\d+\n$/.test(run.stdout));
      context.log(`cli: ${LOCAL_POOL_RUNS} exec runs against the local pool`);
      const stateFile = path.join(stateHome, 'tidepool', 'pool.json');
      const local: number[] = [];
      for (let run = -2; run < LOCAL_POOL_RUNS; run++) {
        await poolSettled(stateFile);
        const started = performance.now();
        await expectRun(exec, env, (result) => printedOne(result) && result.stderr.includes('Using the local pool'));
        if (run >= 0) local.push(performance.now() - started);
      }

      Object.assign(metrics, {
        'cli.exec_local_pool_p50_ms': { value: round(percentile(local, 50), 1), unit: 'ms', target: 250, better: 'lower' },
        'cli.exec_local_pool_p95_ms': { value: round(percentile(local, 95), 1), unit: 'ms' },
        'cli.exec_embedded_pool_p50_ms': { value: round(percentile(embedded, 50), 1), unit: 'ms', target: 1500, better: 'lower' },
        'cli.import_root_p50_ms': { value: round(percentile(imports, 50), 1), unit: 'ms', target: 150, better: 'lower' },
        'cli.node_start_p50_ms': { value: round(percentile(bare, 50), 1), unit: 'ms' },
      } satisfies Metrics);
    } finally {
      await node(['--no-warnings', BIN, 'pool', 'stop'], env);
      await rm(stateHome, { recursive: true, force: true });
    }
    return metrics;
  },
};
