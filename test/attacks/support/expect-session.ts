/**
 * Assertions about what an attacker's own session looks like after an attack: ended (its next
 * call says so, or runs in a fresh kernel), or untouched.
 */
import { expect } from 'vitest';
import type { Execution, PoolClient } from './client.js';
import { describeExecution } from './fixture.js';

/** The attacker got an answer that says what happened: a documented HTTP error or a cell result. */
export function expectClearAnswer(run: Execution, what: string): void {
  const clear = run.http === 200 ? typeof run.status === 'string' : typeof run.errorCode === 'string' && run.errorCode.length > 0;
  expect(clear, `${what}: expected a cell result or an Azure error envelope, got ${describeExecution(run)}`).toBe(true);
  if (run.http !== 200) expect(run.http, `${what}: ${describeExecution(run)}`).toBeGreaterThanOrEqual(400);
}

/** Sets `name = value` in the session, so a later call can tell whether its state survived. */
export async function plantMarker(client: PoolClient, identifier: string, name: string, value: string): Promise<void> {
  const run = await client.exec1(identifier, `${name} = ${JSON.stringify(value)}\n${name}`, { httpTimeoutMs: 60_000 });
  expect(run.result, `could not set up the attacker's session: ${describeExecution(run)}`).toBe(value);
}

/**
 * The session's state is gone and the pool says so: the next call is either a SessionLost error
 * (and the call after it runs fresh) or runs in a fresh kernel with a state-lost notice in stderr.
 */
export async function expectSessionEnded(client: PoolClient, identifier: string, marker: string, value: string): Promise<void> {
  const probe = `globals().get(${JSON.stringify(marker)})`;
  let next = await client.exec1(identifier, probe, { httpTimeoutMs: 60_000 });
  let said = false;
  if (next.http === 500 && next.errorCode === 'SessionLost') {
    said = true;
    next = await client.exec1(identifier, probe, { httpTimeoutMs: 60_000 });
  }
  expect(next.http, `the call after the attack: ${describeExecution(next)}`).toBe(200);
  expect(next.result, 'the attacker session kept its variables although its kernel was attacked').not.toBe(value);
  said ||= /lost/i.test(next.stderr);
  expect(said, `the next call on the attacker's identifier did not say its state was lost: ${describeExecution(next)}`).toBe(true);
}

/** The session's state survived. */
export async function expectSessionIntact(client: PoolClient, identifier: string, marker: string, value: string): Promise<void> {
  const next = await client.exec1(identifier, marker, { httpTimeoutMs: 60_000 });
  expect(next.result, `the attacker's session lost its state: ${describeExecution(next)}`).toBe(value);
}

/** New identifiers still get working sessions (the zygote and the runtime survived). */
export async function expectNewSessionsWork(client: PoolClient, identifiers: string[]): Promise<void> {
  for (const identifier of identifiers) {
    const run = await client.exec1(identifier, '6 * 7', { httpTimeoutMs: 90_000 });
    expect(run.result, `a new session (${identifier}) after the attack: ${describeExecution(run)}`).toBe(42);
  }
}
