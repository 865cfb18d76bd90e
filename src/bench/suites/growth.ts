/**
 * Growth: does a pool stay flat as idle sessions pile up? At 10, 100 and 1,000 live sessions in
 * one pool: the total memory of the server, the zygote and every session (PSS, shared pages
 * counted once), the time a new identifier takes to its first result, and a warm cell. Not in the
 * default run (it keeps 1,000 sessions alive): `tidepool bench --suite growth`.
 */
import { percentile, round, sample } from '../stats.js';
import type { PoolSessionManager } from '../../pool/runtime/index.js';
import { execute, startBenchPool, waitForReady } from '../support/pool-client.js';
import { processTree, totalPssMb } from '../support/process-memory.js';
import type { BenchSuite, Metrics } from '../types.js';

const LEVELS = [10, 100, 1000];
const READY_SESSIONS = 4;
const ALLOCATIONS = 10;
const WARM_CELLS = 300;
/** Sessions started at once while filling: enough to keep the zygote busy, not a burst. */
const FILL_CONCURRENCY = 4;
const MEMORY_BUDGET_MB = 8 * 1024;
/** Allocation and warm p50 at the largest level may be at most this multiple of the smallest. */
const FLATNESS = 1.5;

export const growthSuite: BenchSuite = {
  name: 'growth',
  description: `Growth: memory, allocation and warm latency at ${LEVELS.join(', ')} idle sessions in one pool`,
  async run(context) {
    const largest = LEVELS.at(-1)!;
    const server = await startBenchPool({ readySessions: READY_SESSIONS, maxSessions: largest + ALLOCATIONS + READY_SESSIONS });
    const manager = server.sessionManager as PoolSessionManager;
    const levels: { level: number; sessions: number; memoryMb: number; allocationMs: number; warmMs: number }[] = [];
    try {
      let live = 0;
      for (const level of LEVELS) {
        context.log(`growth: filling to ${level} idle sessions`);
        while (live < level) {
          const batch = Array.from({ length: Math.min(FILL_CONCURRENCY, level - live) }, (_, i) => `idle-${live + i}`);
          await Promise.all(batch.map((id) => execute(server, id)));
          live += batch.length;
        }
        await waitForReady(server, READY_SESSIONS, 120_000);
        const allocations: number[] = [];
        for (let i = 0; i < ALLOCATIONS; i++) {
          await waitForReady(server, 1, 120_000);
          const id = `alloc-${level}-${i}`;
          const started = performance.now();
          await execute(server, id);
          allocations.push(performance.now() - started);
          await manager.deleteSession(id);
        }
        const warm = await sample(WARM_CELLS, () => execute(server, 'idle-0'), 30);
        await waitForReady(server, READY_SESSIONS, 120_000);
        const pids = [process.pid, ...(manager.zygotePid !== undefined ? await processTree(manager.zygotePid) : [])];
        const memoryMb = await totalPssMb(pids);
        levels.push({ level, sessions: manager.stats().live, memoryMb, allocationMs: percentile(allocations, 50), warmMs: percentile(warm, 50) });
        context.log(`growth: ${manager.stats().live} live sessions: ${memoryMb.toFixed(0)} MiB in ${pids.length} processes, allocation p50 ${percentile(allocations, 50).toFixed(2)} ms, warm p50 ${percentile(warm, 50).toFixed(3)} ms`);
      }
    } finally {
      await server.close();
    }
    const first = levels[0]!;
    const last = levels.at(-1)!;
    context.plot({ kind: 'series', name: 'total memory (server + zygote + sessions)', xLabel: 'live sessions', unit: 'MiB', points: levels.map((l) => ({ x: l.sessions, y: l.memoryMb })) });
    context.plot({ kind: 'series', name: 'new identifier to first result, p50', xLabel: 'live sessions', unit: 'ms', points: levels.map((l) => ({ x: l.sessions, y: l.allocationMs })) });
    context.plot({ kind: 'series', name: 'warm cell over HTTP, p50', xLabel: 'live sessions', unit: 'ms', points: levels.map((l) => ({ x: l.sessions, y: l.warmMs })) });
    const metrics: Metrics = {};
    for (const level of levels) {
      const at = level.level;
      metrics[`growth.memory_mb_at_${at}`] = { value: round(level.memoryMb, 0), unit: 'MiB', ...(at === largest && { target: MEMORY_BUDGET_MB, better: 'lower' as const }) };
      metrics[`growth.live_sessions_at_${at}`] = { value: level.sessions, unit: 'sessions', note: 'sessions holding an identifier; the ready ones are not counted' };
      metrics[`growth.allocation_p50_ms_at_${at}`] = { value: round(level.allocationMs, 2), unit: 'ms' };
      metrics[`growth.warm_p50_ms_at_${at}`] = { value: round(level.warmMs, 3), unit: 'ms' };
    }
    metrics['growth.allocation_ratio'] = { value: round(last.allocationMs / first.allocationMs, 2), unit: '×', target: FLATNESS, better: 'lower', note: `allocation p50 at ${LEVELS.at(-1)} sessions / at ${LEVELS[0]}` };
    metrics['growth.warm_ratio'] = { value: round(last.warmMs / first.warmMs, 2), unit: '×', target: FLATNESS, better: 'lower', note: `warm p50 at ${LEVELS.at(-1)} sessions / at ${LEVELS[0]}` };
    return metrics;
  },
};
