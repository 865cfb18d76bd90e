/**
 * The pool's other kinds of session (NodeLTS and Shell pools, bwrap isolation) over HTTP: a warm
 * execution, a new identifier's first result with ready sessions, and the memory one idle session
 * costs — the numbers the `pool` suite gives for Python. Each repetition measures every metric once;
 * each metric is the median over the repetitions.
 */
import type { RunningPoolServer } from '../../pool/index.js';
import type { PoolSessionManager } from '../../pool/runtime/index.js';
import type { PoolContainerType } from '../../pool/types.js';
import { percentile, Repetitions, sample } from '../stats.js';
import { postJson } from '../support/http-client.js';
import { execute, startBenchPool, waitForReady } from '../support/pool-client.js';
import { pssMb, sessionHostPids } from '../support/process-memory.js';
import type { BenchContext, BenchSuite, Metrics } from '../types.js';

const WARM_EXECUTIONS = 300;
const NEW_SESSIONS = 10;
const READY_SESSIONS = 4;

interface Kind {
  containerType: Exclude<PoolContainerType, 'python'>;
  /** Metric prefix. */
  name: string;
  /** The trivial execution timed, in the kind's own request. */
  run(server: RunningPoolServer, identifier: string): Promise<void>;
}

const KINDS: Kind[] = [
  { containerType: 'node', name: 'node', run: (server, identifier) => execute(server, identifier, '1') },
  { containerType: 'shell', name: 'shell', run: runShell },
];

/** `true` as a Shell pool's execution (gen-2 shellCommand); throws unless it exited 0. */
async function runShell(server: RunningPoolServer, identifier: string): Promise<void> {
  const url = `${server.url}/executions?api-version=2025-02-02-preview&identifier=${encodeURIComponent(identifier)}`;
  const response = await postJson(url, { shellCommand: 'true' });
  const body = response.body as { status?: string };
  if (response.status !== 200 || body.status !== '0') throw new Error(`shell execution failed: HTTP ${response.status} ${JSON.stringify(body).slice(0, 300)}`);
}

export const kindsSuite: BenchSuite = {
  name: 'kinds',
  description: 'NodeLTS and Shell pools (bwrap) over HTTP: warm execution, new identifier with ready sessions, idle session PSS',
  async run(context) {
    const metrics: Metrics = {};
    for (const kind of KINDS) Object.assign(metrics, await measureKind(kind, context));
    return metrics;
  },
};

async function measureKind(kind: Kind, context: BenchContext): Promise<Metrics> {
  const server = await startBenchPool({ readySessions: READY_SESSIONS, containerType: kind.containerType });
  const manager = server.sessionManager as PoolSessionManager;
  const reps = new Repetitions();
  try {
    await kind.run(server, 'warm');
    await sample(100, () => kind.run(server, 'warm'));
    for (let rep = 1; rep <= context.repetitions; rep++) {
      context.log(`kinds: ${kind.name} repetition ${rep}/${context.repetitions}: ${WARM_EXECUTIONS} warm executions, ${NEW_SESSIONS} new identifiers, one idle session's memory`);
      const warm = await sample(WARM_EXECUTIONS, () => kind.run(server, 'warm'), 20);
      reps.add('warm_p50', percentile(warm, 50));
      const fresh: number[] = [];
      for (let i = 0; i < NEW_SESSIONS; i++) {
        await waitForReady(server, READY_SESSIONS);
        const id = `new-${rep}-${i}`;
        const started = performance.now();
        await kind.run(server, id);
        fresh.push(performance.now() - started);
        await manager.deleteSession(id);
      }
      reps.add('new_p50', percentile(fresh, 50));
      const idle = `idle-${rep}`;
      await kind.run(server, idle);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const initPid = manager.sessionProcess(idle)?.initPid;
      const pids = initPid !== undefined && manager.zygotePid !== undefined ? await sessionHostPids(manager.zygotePid, initPid) : [];
      if (pids.length === 0) throw new Error(`could not find the idle ${kind.name} session's processes`);
      reps.add('pss', (await Promise.all(pids.map(pssMb))).reduce((a, b) => a + b, 0));
      await manager.deleteSession(idle);
    }
  } finally {
    await server.close();
  }
  return {
    [`kinds.${kind.name}_exec_warm_p50_ms`]: reps.metric('warm_p50', { unit: 'ms' }),
    [`kinds.${kind.name}_exec_new_session_p50_ms`]: reps.metric('new_p50', { unit: 'ms', digits: 2, ...(kind.containerType === 'node' ? { target: 10 } : {}) }),
    [`kinds.${kind.name}_idle_session_pss_mb`]: reps.metric('pss', { unit: 'MiB', digits: 2 }),
  };
}
