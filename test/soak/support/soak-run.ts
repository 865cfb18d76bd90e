/**
 * The soak: many sessions, each driven by one worker at a time through a seeded random mix of
 * cells, uploads, downloads, listings and deletes, with kernels killed at random and the pool
 * restarted once mid-run. Every answer is checked against a model of what that session should
 * hold (a counter its cells increment, the files uploaded to it), so a lost, duplicated or crossed
 * result is counted, not missed. The server's memory, descriptors and threads are sampled throughout.
 */
import { randomBytes } from 'node:crypto';
import { PoolApi, type Answer } from './pool-api.js';
import { PoolProcess, type ResourceSample } from './pool-process.js';

export interface SoakOptions {
  /** Cells to run, spread evenly over `minutes`. */
  executions: number;
  sessions: number;
  minutes: number;
  /** Requests in flight at once (one worker per lane; a session belongs to one lane). */
  concurrency: number;
  seed: number;
  /** Share of cells that kill their own kernel. */
  killShare: number;
  sampleEveryMs: number;
}

export type ViolationKind = 'lost' | 'duplicated' | 'crossed' | 'unexpected';

export interface SoakResult {
  options: SoakOptions;
  durationMs: number;
  executions: number;
  operations: Record<string, number>;
  errorsByKind: Record<string, number>;
  faults: Record<string, number>;
  violations: Record<ViolationKind, number>;
  violationExamples: string[];
  restart: { sessionsCheckedAfter: number; sessionLostAnswers: number; asyncStarted: number; asyncAnsweredNotFound: number };
  executeLatencyMs: { p50: number; p99: number };
  samples: (ResourceSample & { instance: number })[];
  trend: ResourceTrend;
}

export interface ResourceTrend {
  judged: boolean;
  rssStartMb: number;
  rssEndMb: number;
  descriptorsStart: number;
  descriptorsEnd: number;
  threadsStart: number;
  threadsEnd: number;
  flat: boolean;
}

/** A small seeded generator (mulberry32), so a soak's sequence of operations replays from its seed. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface SessionModel {
  id: string;
  /** What the session's counter `n` holds now. */
  n: number;
  files: Map<string, Buffer>;
  /** The session lived in the pool before its restart and has not been asked about since. */
  livedBeforeRestart: boolean;
  touched: boolean;
}

const KILL_CELL = 'import os, signal\nos.kill(os.getpid(), signal.SIGKILL)';
const counterCell = (id: string) => `n = globals().get('n', 0) + 1\nf"${id}:{n}"`;

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function median(values: number[]): number {
  return percentile(values, 50);
}

/** At most `count` items spread evenly over `items` (the report needs the shape, not every sample). */
function evenly<T>(items: T[], count: number): T[] {
  if (items.length <= count) return items;
  return Array.from({ length: count }, (_, index) => items[Math.floor((index * (items.length - 1)) / (count - 1))]!);
}

/** Compares the second quarter of the last server's samples with its final quarter. */
export function resourceTrend(samples: ResourceSample[]): ResourceTrend {
  const quarter = Math.floor(samples.length / 4);
  const start = samples.slice(quarter, 2 * quarter);
  const end = samples.slice(samples.length - quarter);
  const judged = quarter >= 2;
  const mb = (bytes: number) => Math.round((bytes / (1024 * 1024)) * 10) / 10;
  const trend = {
    judged,
    rssStartMb: mb(median(start.map((s) => s.rssBytes))),
    rssEndMb: mb(median(end.map((s) => s.rssBytes))),
    descriptorsStart: median(start.map((s) => s.descriptors)),
    descriptorsEnd: median(end.map((s) => s.descriptors)),
    threadsStart: median(start.map((s) => s.threads)),
    threadsEnd: median(end.map((s) => s.threads)),
    flat: false,
  };
  // Flat: no more than garbage-collector noise in memory, and no descriptor or thread that stays behind.
  trend.flat =
    judged &&
    trend.rssEndMb <= trend.rssStartMb * 1.25 + 32 &&
    trend.descriptorsEnd <= trend.descriptorsStart + 16 &&
    trend.threadsEnd <= trend.threadsStart + 4;
  return trend;
}

export async function runSoak(options: SoakOptions, progress: (line: string) => void = () => undefined): Promise<SoakResult> {
  const random = seededRandom(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const startedAt = Date.now();
  const deadline = startedAt + options.minutes * 60_000;
  const operations: Record<string, number> = {};
  const errorsByKind: Record<string, number> = {};
  const faults: Record<string, number> = {};
  const violations: Record<ViolationKind, number> = { lost: 0, duplicated: 0, crossed: 0, unexpected: 0 };
  const violationExamples: string[] = [];
  const restart = { sessionsCheckedAfter: 0, sessionLostAnswers: 0, asyncStarted: 0, asyncAnsweredNotFound: 0 };
  const latencies: number[] = [];
  const samples: (ResourceSample & { instance: number })[] = [];
  const count = (table: Record<string, number>, key: string) => (table[key] = (table[key] ?? 0) + 1);
  const violate = (kind: ViolationKind, detail: string) => {
    violations[kind] += 1;
    if (violationExamples.length < 20) violationExamples.push(`${kind}: ${detail}`);
  };
  const refuse = (what: string, answer: Answer) => {
    const code = (answer.json?.error as { code?: string } | undefined)?.code ?? '';
    count(errorsByKind, `${what}: ${answer.status} ${code}`.trim());
  };

  const runTag = randomBytes(3).toString('hex');
  const models: SessionModel[] = Array.from({ length: options.sessions }, (_, index) => ({ id: `soak-${runTag}-${index}`, n: 0, files: new Map(), livedBeforeRestart: false, touched: false }));
  let pool = await PoolProcess.start({ maxSessions: options.sessions + 4, readySessions: 2 });
  let instance = 1;
  const api = new PoolApi(pool.url);
  let executions = 0;
  const done = () => executions >= options.executions || Date.now() >= deadline;
  const restartAfterExecutions = Math.floor(options.executions / 2);
  const restartAfterMs = startedAt + (options.minutes * 60_000) / 2;

  const sampler = setInterval(() => {
    void pool
      .sample(startedAt)
      .then((sample) => samples.push({ ...sample, instance }))
      .catch(() => undefined);
  }, options.sampleEveryMs);

  // The restart: lanes stop at their next turn; when all have, the pool is stopped and started again.
  let restartState: 'pending' | 'pausing' | 'done' = 'pending';
  let pausedLanes = 0;
  let activeLanes = options.concurrency;
  let resume!: () => void;
  const resumed = new Promise<void>((resolve) => (resume = resolve));
  let allPaused!: () => void;
  const pausedAll = new Promise<void>((resolve) => (allPaused = resolve));
  const checkPaused = () => {
    if (restartState === 'pausing' && pausedLanes >= activeLanes) allPaused();
  };

  async function step(model: SessionModel): Promise<void> {
    if (model.livedBeforeRestart) {
      model.livedBeforeRestart = false;
      const answer = await api.getSession(model.id);
      restart.sessionsCheckedAfter += 1;
      count(operations, 'session check after restart');
      if (answer.status === 400 && (answer.json?.error as { code?: string })?.code === 'SessionWithIdentifierNotFound') restart.sessionLostAnswers += 1;
      else violate('unexpected', `${model.id} after the restart: GET session answered ${answer.status}`);
      return;
    }
    const roll = random();
    const files = [...model.files.keys()];
    if (roll < options.killShare) {
      count(operations, 'kill kernel');
      executions += 1;
      const answer = await api.execute(model.id, KILL_CELL);
      const code = (answer.json?.error as { code?: string } | undefined)?.code;
      if (answer.status === 500 && code === 'SessionLost') {
        count(faults, 'kernel killed');
        model.n = 0;
      } else violate('unexpected', `${model.id} kill cell answered ${answer.status} ${code ?? ''}`);
      return;
    }
    if (roll < 0.1) {
      count(operations, 'upload');
      const name = `f${Math.floor(random() * 4)}.txt`;
      const data = Buffer.from(`${model.id}:${name}:${randomBytes(8).toString('hex')}`);
      const answer = await api.upload(model.id, name, data);
      if (answer.status === 200 && answer.json?.name === name) model.files.set(name, data);
      else {
        refuse('upload', answer);
        violate('unexpected', `${model.id} upload ${name} answered ${answer.status}`);
      }
      return;
    }
    if (roll < 0.2) {
      count(operations, 'download');
      const name = files.length > 0 ? pick(files) : 'never-uploaded.txt';
      const answer = await api.download(model.id, name);
      const expected = model.files.get(name);
      if (expected === undefined) {
        if (answer.status !== 404) violate(answer.status === 200 ? 'crossed' : 'unexpected', `${model.id} download of a missing ${name} answered ${answer.status}`);
      } else if (answer.status !== 200) violate(answer.status === 404 ? 'lost' : 'unexpected', `${model.id} download ${name} answered ${answer.status}`);
      else if (!answer.bytes.equals(expected)) violate(answer.bytes.toString().startsWith(`${model.id}:`) ? 'lost' : 'crossed', `${model.id} ${name} held "${answer.bytes.toString().slice(0, 80)}"`);
      return;
    }
    if (roll < 0.27) {
      count(operations, 'list');
      const answer = await api.list(model.id);
      if (answer.status !== 200) return violate('unexpected', `${model.id} list answered ${answer.status}`);
      const names = ((answer.json?.value as { name: string; directory: string }[]) ?? []).filter((file) => file.directory === '').map((file) => file.name).sort();
      const wanted = [...model.files.keys()].sort();
      if (names.join('|') !== wanted.join('|')) {
        const extra = names.filter((name) => !model.files.has(name));
        violate(extra.length > 0 ? 'crossed' : 'lost', `${model.id} listed [${names.join(', ')}], expected [${wanted.join(', ')}]`);
      }
      return;
    }
    if (roll < 0.33 && files.length > 0) {
      count(operations, 'delete file');
      const name = pick(files);
      const answer = await api.deleteFile(model.id, name);
      if (answer.status === 204) model.files.delete(name);
      else violate(answer.status === 404 ? 'lost' : 'unexpected', `${model.id} delete ${name} answered ${answer.status}`);
      return;
    }
    if (roll < 0.35) {
      count(operations, 'delete session');
      const answer = await api.deleteSession(model.id);
      if (answer.status === 204) {
        model.n = 0;
        model.files.clear();
      } else violate('unexpected', `${model.id} delete session answered ${answer.status}`);
      return;
    }
    count(operations, 'cell');
    executions += 1;
    const answer = await api.execute(model.id, counterCell(model.id));
    latencies.push(answer.ms);
    if (answer.status !== 200) {
      refuse('cell', answer);
      violate('unexpected', `${model.id} cell answered ${answer.status}: ${answer.bytes.toString().slice(0, 200)}`);
      model.n = 0;
      return;
    }
    const value = String((answer.json?.result as { executionResult?: unknown } | undefined)?.executionResult ?? '');
    const [owner, counter] = [value.slice(0, value.lastIndexOf(':')), Number(value.slice(value.lastIndexOf(':') + 1))];
    if (owner !== model.id || answer.json?.identifier !== model.id) return violate('crossed', `${model.id} got "${value}" for session ${String(answer.json?.identifier)}`);
    if (counter === model.n + 1) model.n = counter;
    else {
      violate(counter <= model.n ? 'lost' : 'duplicated', `${model.id} counter ${counter}, expected ${model.n + 1}`);
      model.n = counter;
    }
  }

  async function restartPool(): Promise<void> {
    // Asynchronous executions in flight when the pool goes: after the restart each must fail clearly.
    const asyncIds: { identifier: string; id: string }[] = [];
    for (const model of models.filter((m) => m.touched).slice(0, 3)) {
      const answer = await api.execute(model.id, 'import time\ntime.sleep(30)\n"late"', 'Asynchronous');
      if (answer.status === 202 && typeof answer.json?.id === 'string') asyncIds.push({ identifier: model.id, id: answer.json.id });
    }
    restart.asyncStarted = asyncIds.length;
    progress(`restarting the pool after ${executions} executions`);
    const port = pool.port;
    await pool.stop('SIGTERM');
    pool = await PoolProcess.start({ maxSessions: options.sessions + 4, readySessions: 2, port });
    instance = 2;
    api.url = pool.url;
    count(faults, 'pool restarted');
    for (const model of models) {
      model.livedBeforeRestart = model.touched;
      model.n = 0;
      model.files.clear();
    }
    for (const { identifier, id } of asyncIds) {
      const answer = await api.execution(identifier, id);
      if (answer.status === 404 && (answer.json?.error as { code?: string })?.code === 'NotFound') restart.asyncAnsweredNotFound += 1;
      else violate('unexpected', `async execution ${id} after the restart answered ${answer.status}`);
    }
  }

  async function lane(index: number): Promise<void> {
    const own = models.filter((_, position) => position % options.concurrency === index);
    while (!done() && own.length > 0) {
      if (restartState === 'pending' && (executions >= restartAfterExecutions || Date.now() >= restartAfterMs)) {
        restartState = 'pausing';
      }
      if (restartState === 'pausing') {
        pausedLanes += 1;
        checkPaused();
        await resumed;
        continue;
      }
      // Executions are spread evenly over the minutes, so the server is observed under steady
      // work for the whole run (and long enough after the restart to tell a leak from warm-up).
      const due = Math.ceil((options.executions * (Date.now() - startedAt)) / (options.minutes * 60_000));
      if (executions >= due) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        continue;
      }
      const model = pick(own);
      model.touched = true;
      try {
        await step(model);
      } catch (error) {
        count(errorsByKind, `transport: ${(error as Error).name}`);
        violate('unexpected', `${model.id}: ${(error as Error).message}`);
      }
    }
    activeLanes -= 1;
    checkPaused();
  }

  const lanes = Array.from({ length: Math.min(options.concurrency, options.sessions) }, (_, index) => lane(index));
  activeLanes = lanes.length;
  const restartDone = pausedAll.then(async () => {
    await restartPool();
    restartState = 'done';
    resume();
  });
  await Promise.all(lanes);
  // A run too short to reach its restart point still restarts once, so every soak proves it.
  if (restartState === 'pending') {
    restartState = 'pausing';
    checkPaused();
  }
  await restartDone;
  clearInterval(sampler);
  await pool.stop('SIGTERM');
  const last = samples.filter((sample) => sample.instance === instance);
  return {
    options,
    durationMs: Date.now() - startedAt,
    executions,
    operations,
    errorsByKind,
    faults,
    violations,
    violationExamples,
    restart,
    executeLatencyMs: { p50: Math.round(percentile(latencies, 50)), p99: Math.round(percentile(latencies, 99)) },
    samples: evenly(samples, 240),
    trend: resourceTrend(last),
  };
}
