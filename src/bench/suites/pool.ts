/**
 * The embedded session pool over HTTP (ACA gen-1 `code/execute`), bwrap isolation: warm and
 * new-session latency, cold start, boot, throughput and the memory one idle session costs.
 */
import { readFile } from 'node:fs/promises';
import type { PoolSessionManager } from '../../pool/runtime/index.js';
import { startPoolServer, type RunningPoolServer } from '../../pool/index.js';
import { percentile, round, sample } from '../stats.js';
import { postJson } from '../support/http-client.js';
import type { BenchSuite, Metrics } from '../types.js';

const API = 'api-version=2024-02-02-preview';
const THROUGHPUT_SESSIONS = 32;
const THROUGHPUT_SECONDS = 4;

async function execute(server: RunningPoolServer, identifier: string, code = '1'): Promise<void> {
  const url = `${server.url}/code/execute?${API}&identifier=${encodeURIComponent(identifier)}`;
  const response = await postJson(url, { properties: { codeInputType: 'inline', executionType: 'synchronous', code } });
  const body = response.body as { properties?: { status?: string } };
  if (response.status !== 200 || body.properties?.status !== 'Success') throw new Error(`pool execute failed: HTTP ${response.status} ${JSON.stringify(body).slice(0, 300)}`);
}

async function waitForReady(server: RunningPoolServer, count: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (server.sessionManager.stats().ready < count) {
    if (Date.now() > deadline) throw new Error('ready sessions did not refill within 30 s');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function start(readySessions: number) {
  return startPoolServer({ port: 0, isolation: 'bwrap', egress: false, readySessions, maxSessions: 200, cooldownSeconds: 600, env: {} });
}

// --- finding a session's host processes and their memory ---
async function children(pid: number): Promise<number[]> {
  try {
    const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8');
    return text.trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

async function nsPids(pid: number): Promise<number[]> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const line = status.split('\n').find((l) => l.startsWith('NSpid:')) ?? '';
  return line.split(/\s+/).slice(1).map(Number);
}

/** Every process under `rootPid` (inclusive), depth first. */
async function processTree(rootPid: number): Promise<number[]> {
  const all = [rootPid];
  for (const child of await children(rootPid)) all.push(...(await processTree(child)));
  return all;
}

/**
 * Host pids of the session whose PID 1 has `initPid` in the zygote's PID namespace: PID 1 (init and
 * file server) and the kernel. PID 1's NSpid reads host, sandbox (the zygote's namespace), session.
 */
async function sessionHostPids(zygoteHostRoot: number, initPid: number): Promise<number[]> {
  for (const pid of await processTree(zygoteHostRoot)) {
    const ns = await nsPids(pid).catch(() => []);
    // Root: the zygote shares the host's PID namespace, so the reported pid is the host's; otherwise
    // bubblewrap's PID namespace sits in between.
    const isInit = ns.at(-1) === 1 && (ns.length === 2 ? ns[0] === initPid : ns[1] === initPid);
    if (isInit) return processTree(pid);
  }
  return [];
}

/** Proportional set size in MiB (shared pages split between the processes sharing them). */
async function pssMb(pid: number): Promise<number> {
  const text = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8');
  const match = /^Pss:\s+(\d+) kB/m.exec(text);
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

/** Unique set size in MiB: pages no other process shares. */
async function ussMb(pid: number): Promise<number> {
  const text = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8');
  const sum = ['Private_Clean', 'Private_Dirty'].reduce((total, field) => total + Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0), 0);
  return sum / 1024;
}

export const poolSuite: BenchSuite = {
  name: 'pool',
  description: 'Session pool over HTTP (bwrap): warm/new-session latency, cold start, boot, throughput, idle PSS',
  async run(context) {
    const bootStarted = performance.now();
    const server = await start(4);
    const bootMs = performance.now() - bootStarted;
    const metrics: Metrics = {};
    try {
      await execute(server, 'warm');
      context.log('pool: timing 2000 warm trivial cells over HTTP');
      const warm = await sample(2000, () => execute(server, 'warm'), 200);

      context.log('pool: timing 20 new identifiers taken from ready sessions');
      const fresh: number[] = [];
      for (let i = 0; i < 20; i++) {
        await waitForReady(server, 1);
        const started = performance.now();
        await execute(server, `new-${i}`);
        fresh.push(performance.now() - started);
        await server.sessionManager.deleteSession(`new-${i}`);
      }

      context.log(`pool: throughput with ${THROUGHPUT_SESSIONS} concurrent sessions for ${THROUGHPUT_SECONDS} s`);
      const ids = Array.from({ length: THROUGHPUT_SESSIONS }, (_, i) => `tp-${i}`);
      await Promise.all(ids.map((id) => execute(server, id)));
      let done = 0;
      const until = performance.now() + THROUGHPUT_SECONDS * 1000;
      const tpStarted = performance.now();
      await Promise.all(
        ids.map(async (id) => {
          while (performance.now() < until) {
            await execute(server, id);
            done++;
          }
        }),
      );
      const throughput = done / ((performance.now() - tpStarted) / 1000);

      // Memory of one idle session in a pool serving the 32 sessions above. PSS splits the zygote's
      // shared pages among every process that maps them, so it depends on how many sessions are
      // alive (recorded beside it); USS (pages only this session holds) is the marginal cost.
      const manager = server.sessionManager as PoolSessionManager;
      await execute(server, 'idle');
      await new Promise((resolve) => setTimeout(resolve, 200));
      const alive = manager.stats().live;
      const initPid = manager.sessionProcess('idle')?.initPid;
      const pids = initPid !== undefined && manager.zygotePid !== undefined ? await sessionHostPids(manager.zygotePid, initPid) : [];
      if (pids.length === 0) throw new Error('could not find the idle session\'s processes');
      const pss = await Promise.all(pids.map(pssMb));
      const uss = await Promise.all(pids.map(ussMb));
      context.log(`pool: idle session processes (init + file server, kernel) with ${alive} sessions alive — PSS MiB: ${pss.map((v) => v.toFixed(2)).join(', ')}; USS MiB: ${uss.map((v) => v.toFixed(2)).join(', ')}`);

      Object.assign(metrics, {
        'pool.exec_warm_p50_ms': { value: round(percentile(warm, 50)), unit: 'ms', target: 1, better: 'lower' },
        'pool.exec_warm_p99_ms': { value: round(percentile(warm, 99)), unit: 'ms', target: 5, better: 'lower' },
        'pool.exec_new_session_p50_ms': { value: round(percentile(fresh, 50), 2), unit: 'ms', target: 10, better: 'lower' },
        'pool.boot_ms': { value: round(bootMs, 1), unit: 'ms', target: 2500, better: 'lower' },
        'pool.throughput_exec_per_s': { value: round(throughput, 0), unit: 'exec/s', target: 2000, better: 'higher' },
        'pool.idle_session_pss_mb': { value: round(pss.reduce((a, b) => a + b, 0), 2), unit: 'MiB', target: 8, better: 'lower' },
        'pool.idle_session_uss_mb': { value: round(uss.reduce((a, b) => a + b, 0), 2), unit: 'MiB' },
        'pool.idle_session_sessions_alive': { value: alive, unit: 'sessions' },
      } satisfies Metrics);
    } finally {
      await server.close();
    }

    context.log('pool: timing 10 cold starts (no ready sessions)');
    const cold = await start(0);
    try {
      await execute(cold, 'cold-warmup');
      const times = await sample(10, async () => {
        const id = `cold-${Math.random().toString(36).slice(2)}`;
        await execute(cold, id);
        await cold.sessionManager.deleteSession(id);
      });
      metrics['pool.cold_start_ms'] = { value: round(percentile(times, 50), 1), unit: 'ms', target: 60, better: 'lower' };
    } finally {
      await cold.close();
    }
    return metrics;
  },
};
