/**
 * Load and noisy neighbours against a real pool process.
 * Load: many concurrent clients spread over many sessions for a while; every answer must be the
 * asking session's own. Noisy neighbours: the latency of a trivial cell in a quiet session, alone
 * and then while other sessions spin at full CPU; the per-session cgroup CPU shares should keep
 * the quiet session's p99 within a small multiple of its quiet value.
 */
import { PoolApi } from './pool-api.js';
import { PoolProcess } from './pool-process.js';
import { percentile } from './soak-run.js';

export interface LoadOptions {
  clients: number;
  sessions: number;
  seconds: number;
}

export interface LoadResult {
  options: LoadOptions;
  /** Flags the pool ran with beyond the defaults. */
  poolFlags: string[];
  requests: number;
  requestsPerSecond: number;
  latencyMs: { p50: number; p99: number; max: number };
  errorsByKind: Record<string, number>;
  crossed: number;
}

const ownCell = (id: string) => `"${id}"`;

/** Runs `task` for each item with at most `limit` at once. */
async function inBatches<T>(items: T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await task(items[next++]!);
    }),
  );
}

export async function runLoad(options: LoadOptions, progress: (line: string) => void = () => undefined): Promise<LoadResult> {
  // Every client here shares the loopback address, where real ones would each have their own:
  // the per-address connection cap is raised to the client count, with room for reconnects.
  const poolFlags = ['--max-connections-per-client', String(options.clients * 2 + 64)];
  const pool = await PoolProcess.start({ maxSessions: options.sessions + 4, readySessions: 4, extraArgs: poolFlags });
  const api = new PoolApi(pool.url);
  const errorsByKind: Record<string, number> = {};
  const latencies: number[] = [];
  let crossed = 0;
  try {
    const ids = Array.from({ length: options.sessions }, (_, index) => `load-${process.pid}-${index}`);
    progress(`allocating ${ids.length} sessions`);
    await inBatches(ids, 8, async (id) => {
      const answer = await api.execute(id, ownCell(id));
      if (answer.status !== 200) throw new Error(`allocating ${id} answered ${answer.status}: ${answer.bytes.toString().slice(0, 300)}`);
    });
    progress(`${options.clients} clients for ${options.seconds} s`);
    const until = Date.now() + options.seconds * 1000;
    await Promise.all(
      Array.from({ length: options.clients }, async (_, client) => {
        const id = ids[client % ids.length]!;
        while (Date.now() < until) {
          try {
            const answer = await api.execute(id, ownCell(id));
            latencies.push(answer.ms);
            if (answer.status !== 200) {
              const code = (answer.json?.error as { code?: string } | undefined)?.code ?? '';
              errorsByKind[`${answer.status} ${code}`.trim()] = (errorsByKind[`${answer.status} ${code}`.trim()] ?? 0) + 1;
            } else if ((answer.json?.result as { executionResult?: unknown }).executionResult !== id || answer.json?.identifier !== id) crossed += 1;
          } catch (error) {
            const cause = (error as { cause?: { code?: string; message?: string } }).cause;
            const kind = `transport: ${cause?.code ?? cause?.message ?? (error as Error).name}`;
            errorsByKind[kind] = (errorsByKind[kind] ?? 0) + 1;
          }
        }
      }),
    );
  } finally {
    await pool.stop('SIGTERM');
  }
  return {
    options,
    poolFlags,
    requests: latencies.length,
    requestsPerSecond: Math.round((latencies.length / options.seconds) * 10) / 10,
    latencyMs: { p50: round(percentile(latencies, 50)), p99: round(percentile(latencies, 99)), max: round(Math.max(0, ...latencies)) },
    errorsByKind,
    crossed,
  };
}

export interface NoisyOptions {
  noisySessions: number;
  /** Trivial cells timed in each condition, over all rounds. */
  samples: number;
  /** Alternations of quiet and noisy timing, so load from outside the pool weighs on both alike. */
  rounds: number;
}

export interface NoisyResult {
  options: NoisyOptions;
  quietP50Ms: number;
  quietP99Ms: number;
  noisyP50Ms: number;
  noisyP99Ms: number;
  /** noisyP99 / quietP99. */
  ratio: number;
  /** Spinners still running when each round's noisy timing ended, over all rounds. */
  spinnersRunning: number;
}

const SPIN_SECONDS = 600;

export async function runNoisyNeighbours(options: NoisyOptions, progress: (line: string) => void = () => undefined): Promise<NoisyResult> {
  const pool = await PoolProcess.start({ maxSessions: options.noisySessions + 4, readySessions: 2, maxExecutionSeconds: SPIN_SECONDS });
  const api = new PoolApi(pool.url);
  const quietId = `quiet-${process.pid}`;
  const perRound = Math.max(1, Math.round(options.samples / options.rounds));
  const time = async (into: number[]) => {
    for (let index = 0; index < perRound; index++) {
      const answer = await api.execute(quietId, '1 + 1');
      if (answer.status !== 200) throw new Error(`the quiet cell answered ${answer.status}`);
      into.push(answer.ms);
    }
  };
  const quiet: number[] = [];
  const noisy: number[] = [];
  let spinnersRunning = 0;
  try {
    // Warm-up: the session's first cells start its kernel.
    await time([]);
    for (let round = 1; round <= options.rounds; round++) {
      progress(`round ${round}/${options.rounds}: the quiet session alone`);
      await time(quiet);
      const spinners: { id: string; execution: string }[] = [];
      for (let index = 0; index < options.noisySessions; index++) {
        const id = `noisy-${process.pid}-${round}-${index}`;
        // Asynchronous, so each spins in its own session while this client keeps timing the quiet one.
        const answer = await api.execute(id, `import time\nend = time.time() + ${SPIN_SECONDS}\nwhile time.time() < end:\n    pass`, 'Asynchronous');
        if (answer.status !== 202) throw new Error(`starting noisy session ${id} answered ${answer.status}: ${answer.bytes.toString().slice(0, 300)}`);
        spinners.push({ id, execution: String(answer.json?.id) });
      }
      // Let every spinner get going before timing.
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      progress(`round ${round}/${options.rounds}: next to ${options.noisySessions} spinning sessions`);
      await time(noisy);
      // The comparison only means something if the spinners were still spinning throughout.
      for (const spinner of spinners) {
        const answer = await api.execution(spinner.id, spinner.execution);
        if (answer.json?.status === 'Running') spinnersRunning += 1;
      }
      for (const spinner of spinners) await api.deleteSession(spinner.id);
    }
    const quietP99 = percentile(quiet, 99);
    const noisyP99 = percentile(noisy, 99);
    return {
      options,
      quietP50Ms: round(percentile(quiet, 50)),
      quietP99Ms: round(quietP99),
      noisyP50Ms: round(percentile(noisy, 50)),
      noisyP99Ms: round(noisyP99),
      ratio: Math.round((noisyP99 / quietP99) * 100) / 100,
      spinnersRunning,
    };
  } finally {
    await pool.stop('SIGTERM');
  }
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
