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
import { percentile, Repetitions, sample } from '../stats.js';
import type { BenchSuite, Metrics } from '../types.js';

const BIN = path.join(PACKAGE_ROOT, 'bin', 'tidepool.js');
/** Per repetition. */
const LOCAL_POOL_RUNS = 5;
const EMBEDDED_RUNS = 2;
const IMPORT_RUNS = 5;
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
    const embeddedHome = await mkdtemp(path.join(os.tmpdir(), 'tidepool-bench-cli-embedded-'));
    const embeddedEnv = { ...env, XDG_STATE_HOME: embeddedHome };
    const exec = ['--no-warnings', BIN, 'exec', 'print(1)'];
    const printedOne = (run: Run) => run.code === 0 && run.stdout === '1\n';
    const metrics: Metrics = {};
    const reps = new Repetitions();
    const samples = { local: [] as number[], embedded: [] as number[], imports: [] as number[] };
    try {
      context.log('cli: starting a local pool');
      await expectRun(['--no-warnings', BIN, 'pool', 'start', '--port', '0'], env, (run) => run.code === 0 && /^http:\/\/127\.0\.0\.1:\d+\n$/.test(run.stdout));
      const stateFile = path.join(stateHome, 'tidepool', 'pool.json');
      const againstLocalPool = async () => {
        await poolSettled(stateFile);
        const started = performance.now();
        await expectRun(exec, env, (result) => printedOne(result) && result.stderr.includes('Using the local pool'));
        return performance.now() - started;
      };
      await againstLocalPool();
      await againstLocalPool();
      for (let rep = 1; rep <= context.repetitions; rep++) {
        context.log(`cli: repetition ${rep}/${context.repetitions}: ${IMPORT_RUNS} imports of the root entry, ${LOCAL_POOL_RUNS} exec runs against the local pool, ${EMBEDDED_RUNS} with an embedded pool`);
        const bare = await sample(IMPORT_RUNS, () => expectRun(['-e', ''], env, (run) => run.code === 0), 1);
        const imports = await sample(IMPORT_RUNS, () => expectRun(['-e', "import('tidepool')"], env, (run) => run.code === 0), 1);
        const local: number[] = [];
        for (let run = 0; run < LOCAL_POOL_RUNS; run++) local.push(await againstLocalPool());
        // The local pool is found through the state directory; a run with another one embeds its own pool.
        const embedded = await sample(EMBEDDED_RUNS, () => expectRun(exec, embeddedEnv, (run) => printedOne(run) && !run.stderr.includes('local pool')));
        samples.local.push(...local);
        samples.embedded.push(...embedded);
        samples.imports.push(...imports);
        reps.add('bare', percentile(bare, 50));
        reps.add('imports', percentile(imports, 50));
        reps.add('local_p50', percentile(local, 50));
        reps.add('local_p95', percentile(local, 95));
        reps.add('embedded', percentile(embedded, 50));
      }
      context.plot({ kind: 'distribution', name: 'tidepool exec, local pool', unit: 'ms', samples: samples.local });
      context.plot({ kind: 'distribution', name: 'tidepool exec, embedded pool', unit: 'ms', samples: samples.embedded });
      context.plot({ kind: 'distribution', name: "import('tidepool')", unit: 'ms', samples: samples.imports });
      Object.assign(metrics, {
        'cli.exec_local_pool_p50_ms': reps.metric('local_p50', { unit: 'ms', digits: 1, target: 250 }),
        'cli.exec_local_pool_p95_ms': reps.metric('local_p95', { unit: 'ms', digits: 1 }),
        'cli.exec_embedded_pool_p50_ms': reps.metric('embedded', { unit: 'ms', digits: 1, target: 1500 }),
        'cli.import_root_p50_ms': reps.metric('imports', { unit: 'ms', digits: 1, target: 150, note: 'whole process: node start-up included (see cli.node_start_p50_ms)' }),
        'cli.node_start_p50_ms': reps.metric('bare', { unit: 'ms', digits: 1 }),
      } satisfies Metrics);
    } finally {
      await node(['--no-warnings', BIN, 'pool', 'stop'], env);
      await rm(stateHome, { recursive: true, force: true });
      await rm(embeddedHome, { recursive: true, force: true });
    }
    return metrics;
  },
};
