/**
 * One attack pool per describe block: builds if needed, plants canaries, starts `pool serve`,
 * sets up a victim session (a variable and a file) and, around every test, checks what every
 * attack must leave intact:
 *   - the victim still has its variable and its file;
 *   - GET /healthz answered within 1 s during the attack (HealthWatch) and still does;
 *   - no canary reached any answer the client received.
 * verify() records these as soft failures, so a test reports all of them at once.
 * If an attack took the whole server down, the next test gets a fresh server and victim.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import { ensureBuilt } from './build.js';
import { PoolClient, randomId, type Execution, type HttpAnswer } from './client.js';
import { HealthWatch, type HealthReport } from './health.js';
import { plantCanary, PoolServer, type Canary, type PoolServerOptions } from './pool-server.js';

export const HEALTH_LIMIT_MS = 1_000;

export class Victim {
  readonly identifier = randomId('victim');
  readonly variable = `victim_${randomBytes(4).toString('hex')}`;
  readonly value = `victim-value-${randomBytes(8).toString('hex')}`;
  readonly fileName = `victim-${randomBytes(4).toString('hex')}.txt`;
  readonly content = `victim-content-${randomBytes(8).toString('hex')}`;

  async plant(client: PoolClient): Promise<void> {
    const code = `${this.variable} = ${JSON.stringify(this.value)}\nwith open('/mnt/data/${this.fileName}', 'w') as f:\n    f.write(${JSON.stringify(this.content)})\n${this.variable}`;
    const run = await client.exec1(this.identifier, code, { httpTimeoutMs: 60_000 });
    if (!run.ok || run.result !== this.value) throw new Error(`could not set up the victim session: ${describeExecution(run)}`);
  }

  /** What is wrong with the victim now (empty when intact). */
  async problems(client: PoolClient): Promise<string[]> {
    const problems: string[] = [];
    try {
      const run = await client.exec1(this.identifier, this.variable, { httpTimeoutMs: 30_000 });
      if (!run.ok || run.result !== this.value) problems.push(`victim variable: ${describeExecution(run)}`);
      else if (/lost/i.test(run.stderr)) problems.push(`victim session was replaced: ${run.stderr.slice(0, 300)}`);
    } catch (error) {
      problems.push(`victim variable: ${(error as Error).message}`);
    }
    try {
      const file = await client.download1(this.identifier, this.fileName, 30_000);
      if (file.status !== 200 || file.text !== this.content) problems.push(`victim file: HTTP ${file.status} ${file.text.slice(0, 200)}`);
    } catch (error) {
      problems.push(`victim file: ${(error as Error).message}`);
    }
    return problems;
  }
}

export function describeExecution(run: Execution): string {
  if (run.http !== 200) return `HTTP ${run.http} ${run.errorCode ?? ''}: ${(run.errorMessage ?? run.answer.text).slice(0, 300)}`;
  return `${run.status} result=${JSON.stringify(run.result)?.slice(0, 200)} stderr=${run.stderr.slice(-400)}`;
}

export interface AttackContext {
  readonly server: PoolServer;
  readonly client: PoolClient;
  readonly canary: Canary;
  readonly victim: Victim;
  /** Canary sightings since the test began. */
  readonly leaks: string[];
  /** A new random identifier (a session the attacker or a bystander uses). */
  id(prefix: string): string;
  /** Starts watching /healthz (from `localAddress`, when given); pass the report to verify(). */
  watch(localAddress?: string, limitMs?: number): HealthWatch;
  /** Soft-asserts that the victim is intact, /healthz stayed fast and no canary leaked. */
  verify(health?: HealthReport): Promise<void>;
  /** Runs a cell that must succeed and whose value is JSON text; returns the parsed value. */
  probe<T = Record<string, unknown>>(identifier: string, code: string, options?: { timeoutInSeconds?: number; httpTimeoutMs?: number }): Promise<T>;
}

export function useAttackPool(options: PoolServerOptions = {}): AttackContext {
  let server: PoolServer | undefined;
  let client: PoolClient | undefined;
  let canary: Canary | undefined;
  let victim: Victim | undefined;
  const leaks: string[] = [];

  const scan = (answer: HttpAnswer, what: string) => {
    if (!canary) return;
    for (const needle of canary.needles) {
      if (answer.text.includes(needle)) leaks.push(`${what} (HTTP ${answer.status}) contains a canary`);
    }
  };

  const start = async () => {
    server = await PoolServer.start(canary!, options);
    client?.close();
    client = new PoolClient(server.url, server.key, scan);
    victim = new Victim();
    await victim.plant(client);
  };

  const healthy = async (): Promise<boolean> => {
    if (!server?.alive || !client) return false;
    try {
      return (await client.healthz(5_000)).status === 200;
    } catch {
      return false;
    }
  };

  beforeAll(async () => {
    await ensureBuilt();
    canary = await plantCanary();
    await start();
  }, 300_000);

  afterAll(async () => {
    client?.close();
    await server?.stop().catch(() => undefined);
    await canary?.dispose();
  }, 60_000);

  beforeEach(async () => {
    leaks.length = 0;
    if (!(await healthy())) {
      console.warn('attack pool: the server is down after an earlier test; starting a fresh one');
      await server?.kill().catch(() => undefined);
      await start();
      return;
    }
    if ((await victim!.problems(client!)).length > 0) {
      try {
        victim = new Victim();
        await victim.plant(client!);
      } catch {
        console.warn('attack pool: sessions no longer start after an earlier test; starting a fresh server');
        await server!.kill();
        await start();
      }
    }
  }, 180_000);

  afterEach(async () => {
    if (!client) return;
    const identifiers = [...client.touched].filter((identifier) => identifier !== victim?.identifier);
    client.touched.clear();
    if (!server?.alive) return;
    await Promise.all(identifiers.map((identifier) => client!.deleteSession(identifier, 20_000).catch(() => undefined)));
  }, 60_000);

  return {
    get server() {
      return server!;
    },
    get client() {
      return client!;
    },
    get canary() {
      return canary!;
    },
    get victim() {
      return victim!;
    },
    leaks,
    id: (prefix) => randomId(prefix),
    watch: (localAddress, limitMs = HEALTH_LIMIT_MS) => new HealthWatch(server!.url, { limitMs, localAddress }),
    async verify(health) {
      expect.soft(server!.alive, `the pool server process exited: ${server!.stderr.slice(-1500)}`).toBe(true);
      if (health) {
        expect.soft(health.failures, `/healthz during the attack (${health.probes} probes, slowest ${health.slowest.join(', ')} ms)`).toEqual([]);
        expect.soft(health.probes, 'the /healthz watcher made no probe').toBeGreaterThan(0);
      }
      let after: string;
      try {
        const answer = await client!.healthz(5_000);
        after = answer.status === 200 && answer.elapsedMs <= HEALTH_LIMIT_MS ? 'ok' : `HTTP ${answer.status} in ${Math.round(answer.elapsedMs)} ms`;
      } catch (error) {
        after = (error as Error).message;
      }
      expect.soft(after, '/healthz after the attack').toBe('ok');
      expect.soft(await victim!.problems(client!), 'the victim session set up before the attack').toEqual([]);
      expect.soft([...leaks], 'canaries seen in answers to the attacker').toEqual([]);
    },
    async probe<T>(identifier: string, code: string, probeOptions: { timeoutInSeconds?: number; httpTimeoutMs?: number } = {}) {
      const run = await client!.exec1(identifier, code, { timeoutInSeconds: probeOptions.timeoutInSeconds ?? 60, httpTimeoutMs: probeOptions.httpTimeoutMs ?? 120_000 });
      if (!run.ok || typeof run.result !== 'string') throw new Error(`probe cell did not complete: ${describeExecution(run)}`);
      return JSON.parse(run.result) as T;
    },
  };
}

/**
 * Runs `attack` while /healthz is watched, then verifies the victim, /healthz and the canaries
 * whether or not the attack's own assertions passed.
 */
export async function guarded(ctx: AttackContext, attack: () => Promise<void>, options: { probeFrom?: string; healthLimitMs?: number } = {}): Promise<void> {
  const watch = ctx.watch(options.probeFrom, options.healthLimitMs);
  try {
    await attack();
  } finally {
    await ctx.verify(await watch.stop());
  }
}
