/**
 * The session pool (bwrap isolation) over HTTP, ACA gen-1 `code/execute`, and embedded
 * (`Sandbox-Pool` calling the pool's app in process): warm and new-session latency, cold start,
 * boot, throughput and the memory one idle session costs. Each repetition measures every metric
 * once; each metric is the median over the repetitions.
 */
import type { PoolSessionManager } from '../../pool/runtime/index.js';
import { createPoolSandbox } from '../../sandbox/backends/pool/index.js';
import { percentile, Repetitions, round, sample, summarise } from '../stats.js';
import { driveLoad, execute, executor, startBenchPool, waitForReady } from '../support/pool-client.js';
import { pssMb, sessionHostPids, ussMb } from '../support/process-memory.js';
import type { BenchContext, BenchSuite, Metrics } from '../types.js';

const WARM_CELLS = 500;
const NEW_SESSIONS = 10;
const COLD_STARTS = 8;
const THROUGHPUT_SESSIONS = 32;
const THROUGHPUT_SECONDS = 2;

export const poolSuite: BenchSuite = {
  name: 'pool',
  description: 'Session pool (bwrap) over HTTP and embedded: warm/new-session latency, cold start, boot, throughput, idle PSS',
  async run(context) {
    const reps = new Repetitions();
    const warmSamples: number[] = [];
    const bootStarted = performance.now();
    const server = await startBenchPool({ readySessions: 4 });
    const bootMs = performance.now() - bootStarted;
    const metrics: Metrics = {};
    try {
      const warmCell = executor(server, 'warm');
      await warmCell();
      await sample(200, warmCell);
      const throughputIds = Array.from({ length: THROUGHPUT_SESSIONS }, (_, i) => `tp-${i}`);
      await Promise.all(throughputIds.map((id) => execute(server, id)));
      const manager = server.sessionManager as PoolSessionManager;
      for (let rep = 1; rep <= context.repetitions; rep++) {
        context.log(`pool: repetition ${rep}/${context.repetitions}: ${WARM_CELLS} warm cells, ${NEW_SESSIONS} new identifiers, ${THROUGHPUT_SECONDS} s of throughput, one idle session's memory`);
        const warm = await sample(WARM_CELLS, warmCell, 20);
        warmSamples.push(...warm);
        reps.add('warm_p50', percentile(warm, 50));
        reps.add('warm_p99', percentile(warm, 99));

        const fresh: number[] = [];
        for (let i = 0; i < NEW_SESSIONS; i++) {
          await waitForReady(server, 1);
          const id = `new-${rep}-${i}`;
          const started = performance.now();
          await execute(server, id);
          fresh.push(performance.now() - started);
          await server.sessionManager.deleteSession(id);
        }
        reps.add('new_p50', percentile(fresh, 50));

        await waitForReady(server, 4);
        const load = await driveLoad(server, throughputIds, THROUGHPUT_SECONDS);
        if (load.failures > 0) throw new Error(`${load.failures} executions failed under load: ${load.firstFailure}`);
        reps.add('throughput', load.done / (load.elapsedMs / 1000));

        // One idle session in a pool serving the sessions above. PSS splits the zygote's shared pages
        // among every process that maps them, so it depends on how many sessions are alive (recorded
        // beside it); USS (pages only this session holds) is the marginal cost.
        const idle = `idle-${rep}`;
        await execute(server, idle);
        await new Promise((resolve) => setTimeout(resolve, 200));
        const initPid = manager.sessionProcess(idle)?.initPid;
        const pids = initPid !== undefined && manager.zygotePid !== undefined ? await sessionHostPids(manager.zygotePid, initPid) : [];
        if (pids.length === 0) throw new Error("could not find the idle session's processes");
        const pss = await Promise.all(pids.map(pssMb));
        const uss = await Promise.all(pids.map(ussMb));
        reps.add('pss', pss.reduce((a, b) => a + b, 0));
        reps.add('uss', uss.reduce((a, b) => a + b, 0));
        reps.add('alive', manager.stats().live);
        await server.sessionManager.deleteSession(idle);
      }
      context.plot({ kind: 'distribution', name: 'warm cell over HTTP', unit: 'ms', samples: warmSamples });
      Object.assign(metrics, {
        'pool.exec_warm_p50_ms': reps.metric('warm_p50', { unit: 'ms', target: 0.5 }),
        'pool.exec_warm_p99_ms': reps.metric('warm_p99', { unit: 'ms', target: 3 }),
        'pool.exec_new_session_p50_ms': reps.metric('new_p50', { unit: 'ms', digits: 2, target: 5 }),
        'pool.boot_ms': { value: round(bootMs, 1), unit: 'ms', target: 2500, better: 'lower', repetitions: 1 },
        'pool.throughput_exec_per_s': reps.metric('throughput', { unit: 'exec/s', digits: 0, target: 4000, better: 'higher', note: `${THROUGHPUT_SESSIONS} sessions, one closed loop each, driven from a worker thread` }),
        'pool.idle_session_pss_mb': reps.metric('pss', { unit: 'MiB', digits: 2, target: 5 }),
        'pool.idle_session_uss_mb': reps.metric('uss', { unit: 'MiB', digits: 2 }),
        'pool.idle_session_sessions_alive': reps.metric('alive', { unit: 'sessions', digits: 0 }),
      });
    } finally {
      await server.close();
    }

    Object.assign(metrics, await coldStarts(context));
    Object.assign(metrics, await embedded(context));
    return metrics;
  },
};

async function coldStarts(context: BenchContext): Promise<Metrics> {
  context.log(`pool: ${context.repetitions} × ${COLD_STARTS} cold starts (no ready sessions)`);
  const cold = await startBenchPool({ readySessions: 0 });
  const all: number[] = [];
  const medians: number[] = [];
  try {
    await execute(cold, 'cold-warmup');
    for (let rep = 0; rep < context.repetitions; rep++) {
      const times = await sample(COLD_STARTS, async () => {
        const id = `cold-${Math.random().toString(36).slice(2)}`;
        await execute(cold, id);
        await cold.sessionManager.deleteSession(id);
      });
      all.push(...times);
      medians.push(percentile(times, 50));
    }
  } finally {
    await cold.close();
  }
  context.plot({ kind: 'distribution', name: 'new identifier, cold (no ready session)', unit: 'ms', samples: all });
  return { 'pool.cold_start_ms': summarise(medians, { unit: 'ms', digits: 1, target: 40 }) };
}

/** Sandbox-Pool as a library user meets it: the ACA client calling the pool's app in process. */
async function embedded(context: BenchContext): Promise<Metrics> {
  context.log(`pool: ${context.repetitions} × ${WARM_CELLS} warm cells through the embedded Sandbox-Pool`);
  const sandbox = createPoolSandbox({ pool: { isolation: 'bwrap', egress: false, readySessions: 1 }, env: {} });
  const medians: number[] = [];
  const all: number[] = [];
  try {
    const session = sandbox.session('embedded-warm');
    const run = async () => {
      const result = await session.execute('1');
      if (result.error) throw new Error(`embedded execute failed: ${result.error.message}`);
    };
    await sample(200, run);
    for (let rep = 0; rep < context.repetitions; rep++) {
      const times = await sample(WARM_CELLS, run, 20);
      all.push(...times);
      medians.push(percentile(times, 50));
    }
  } finally {
    await sandbox.close();
  }
  context.plot({ kind: 'distribution', name: 'warm cell, embedded Sandbox-Pool', unit: 'ms', samples: all });
  return { 'pool.embedded_warm_p50_ms': summarise(medians, { unit: 'ms', target: 0.3 }) };
}
