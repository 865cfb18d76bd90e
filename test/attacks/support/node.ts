/**
 * A NodeLTS pool for attacks: a real `tidepool pool serve --container-type node` (bwrap isolation,
 * canaries planted around it as for the Python attack pool), a victim session holding a variable
 * and a file, and helpers to run JavaScript cells in it.
 */
import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { PoolClient, randomId, type Execution } from './client.js';
import { describeExecution } from './fixture.js';
import { useKindPool, type KindPool } from './kind-pool.js';
import type { PoolServerOptions } from './pool-server.js';

/** Runs a JavaScript cell (gen-2, synchronous). */
export function js(client: PoolClient, identifier: string, code: string, options: { timeoutInSeconds?: number; httpTimeoutMs?: number } = {}): Promise<Execution> {
  return client.exec2(identifier, code, { timeoutInSeconds: options.timeoutInSeconds ?? 60, httpTimeoutMs: options.httpTimeoutMs ?? 120_000 });
}

/** Runs a cell that must succeed and whose value is `JSON.stringify(...)` of what it found; returns that, parsed. */
export async function jsProbe<T = Record<string, unknown>>(client: PoolClient, identifier: string, code: string, options: { timeoutInSeconds?: number } = {}): Promise<T> {
  const run = await js(client, identifier, code, options);
  if (!run.ok || typeof run.result !== 'string') throw new Error(`probe cell did not complete: ${describeExecution(run)}`);
  return JSON.parse(run.result) as T;
}

/** Sets a global in the session, so a later call can tell whether its state survived. */
export async function plantGlobal(client: PoolClient, identifier: string, name: string, value: string): Promise<void> {
  const run = await js(client, identifier, `globalThis.${name} = ${JSON.stringify(value)}`);
  expect(run.result, `could not set up the session: ${describeExecution(run)}`).toBe(value);
}

/** The session's state is gone and the pool says so: a SessionLost answer, or a fresh kernel whose stderr says the state was lost. */
export async function expectStateLost(client: PoolClient, identifier: string, name: string): Promise<void> {
  const probe = `typeof globalThis.${name}`;
  let next = await js(client, identifier, probe);
  let said = false;
  if (next.http === 500 && next.errorCode === 'SessionLost') {
    said = true;
    next = await js(client, identifier, probe);
  }
  expect(next.result, `the call after the attack: ${describeExecution(next)}`).toBe('undefined');
  said ||= /lost/i.test(next.stderr);
  expect(said, `the next call did not say the session's state was lost: ${describeExecution(next)}`).toBe(true);
}

/** The session's state survived. */
export async function expectStateKept(client: PoolClient, identifier: string, name: string, value: string): Promise<void> {
  const next = await js(client, identifier, `globalThis.${name}`);
  expect(next.result, `the session lost its state: ${describeExecution(next)}`).toBe(value);
}

/** A session set up before every attack, which no attack may disturb. */
class JsVictim {
  readonly identifier = randomId('victim');
  readonly value = `victim-value-${randomBytes(8).toString('hex')}`;
  readonly fileName = `victim-${randomBytes(4).toString('hex')}.txt`;
  readonly content = `victim-content-${randomBytes(8).toString('hex')}`;

  async plant(client: PoolClient): Promise<void> {
    const code = `require('fs').writeFileSync('/mnt/data/${this.fileName}', ${JSON.stringify(this.content)});\nvar victimValue = ${JSON.stringify(this.value)};\nvictimValue`;
    const run = await js(client, this.identifier, code);
    if (run.result !== this.value) throw new Error(`could not set up the victim session: ${describeExecution(run)}`);
  }

  async problems(client: PoolClient): Promise<string[]> {
    const problems: string[] = [];
    const run = await js(client, this.identifier, 'victimValue', { httpTimeoutMs: 60_000 }).catch((error: Error) => error);
    if (run instanceof Error) problems.push(`victim variable: ${run.message}`);
    else if (run.result !== this.value || /lost/i.test(run.stderr)) problems.push(`victim variable: ${describeExecution(run)}`);
    const file = await client.download2(this.identifier, this.fileName).catch((error: Error) => error);
    if (file instanceof Error) problems.push(`victim file: ${file.message}`);
    else if (file.status !== 200 || file.text !== this.content) problems.push(`victim file: HTTP ${file.status} ${file.text.slice(0, 200)}`);
    return problems;
  }
}

/**
 * One NodeLTS pool server per test file. After every test: the server still runs and answers
 * /healthz, the victim session kept its variable and file, and no answer contained a canary.
 */
export function useNodePool(options: PoolServerOptions = {}): KindPool {
  const victim = new JsVictim();
  return useKindPool('node', options, {
    started: (pool) => victim.plant(pool.client),
    keep: () => [victim.identifier],
    async check(pool) {
      try {
        expect(pool.server.alive, `the pool server exited: ${pool.server.stderr.slice(-1500)}`).toBe(true);
        expect((await pool.client.healthz(5_000)).status, '/healthz after the attack').toBe(200);
        expect(await victim.problems(pool.client), 'the victim session set up before the attacks').toEqual([]);
        expect([...pool.leaks], 'canaries seen in answers to the attacker').toEqual([]);
      } finally {
        pool.leaks.length = 0;
      }
    },
  });
}
