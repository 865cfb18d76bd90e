/**
 * Resilience against a real pool behind a fault-injecting proxy: retries stay within their
 * bounds, give-ups say so, and an execution that may have run is never sent twice. Each test's
 * code increments a counter in the session, so "ran exactly once" is checked on the pool itself.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startPoolServer, type RunningPoolServer } from '../../src/pool/index.js';
import { AcaClient } from '../../src/sandbox/backends/aca/aca-client.js';
import { CapacityError, SandboxTimeoutError, TransportError, type SandboxError } from '../../src/errors.js';
import { startFaultProxy, type FaultProxy } from './helpers/fault-proxy.js';

const API_KEY = randomBytes(16).toString('hex');
const RETRY = { maxRetries: 3, maxRetryTimeMs: 8_000, minDelayMs: 20, maxDelayMs: 200 };
let pool: RunningPoolServer;
let proxy: FaultProxy;

beforeAll(async () => {
  pool = await startPoolServer({ host: '127.0.0.1', port: 0, apiKeys: [API_KEY], readySessions: 2, env: {} });
  proxy = await startFaultProxy(pool.url);
});

afterAll(async () => {
  await proxy?.close();
  await pool?.close();
});

beforeEach(() => {
  proxy.reset();
});

// Node's own http (what CLI commands send with) is checked on the API version they speak to a Tidepool pool.
describe.each([
  ['2024-02-02-preview', 'undici'],
  ['2025-10-02-preview', 'undici'],
  ['2025-10-02-preview', 'node'],
] as const)('faults between client and pool (%s, over %s)', (apiVersion, httpClient) => {
  const client = () =>
    new AcaClient({ poolManagementEndpoint: proxy.url, accessToken: API_KEY, apiVersion, env: {}, retry: RETRY, requestTimeoutMs: 1_000, executionGraceMs: 1_000, httpClient });
  const direct = () => new AcaClient({ poolManagementEndpoint: pool.url, accessToken: API_KEY, apiVersion, env: {} });
  const INCREMENT = "globals()['runs'] = globals().get('runs', 0) + 1\nruns";
  /** How many times INCREMENT ran in the session, asked of the pool directly. */
  const runs = async (identifier: string) => (await direct().execute(identifier, "globals().get('runs', 0)", { timeoutMs: 10_000 })).result;
  const failure = (promise: Promise<unknown>) => promise.then(() => expect.fail('expected a rejection'), (error: unknown) => error as SandboxError);

  it('waits out 429 + Retry-After and runs the code once', async () => {
    const id = randomUUID();
    proxy.plan({ status: 429, retryAfter: '1' });
    const result = await client().execute(id, INCREMENT, { timeoutMs: 5_000 });
    expect(result.result).toBe(1);
    expect(proxy.received).toHaveLength(2);
    expect(await runs(id)).toBe(1);
  });

  it('retries an execution after 503s and runs it once', async () => {
    const id = randomUUID();
    proxy.plan({ status: 503 }, { status: 503 });
    expect((await client().execute(id, INCREMENT, { timeoutMs: 5_000 })).result).toBe(1);
    expect(proxy.received).toHaveLength(3);
    expect(proxy.forwarded).toHaveLength(1);
    expect(await runs(id)).toBe(1);
  });

  it('gives up after its retry bound on a pool that keeps answering 503, and says so', async () => {
    proxy.plan(...Array.from({ length: 10 }, () => ({ status: 503 as const })));
    const error = await failure(client().list(randomUUID()));
    expect(error).toBeInstanceOf(CapacityError);
    expect(error.statusCode).toBe(503);
    expect(error.message).toMatch(/Gave up after 4 attempts/);
    expect(proxy.received).toHaveLength(4);
  });

  it('stops at once when Retry-After is beyond the retry budget', async () => {
    proxy.plan({ status: 429, retryAfter: '600' });
    const error = await failure(client().execute(randomUUID(), '1', { timeoutMs: 5_000 }));
    expect(error).toBeInstanceOf(CapacityError);
    expect(error.message).toMatch(/Retry-After/);
    expect(proxy.received).toHaveLength(1);
  });

  it('does not resend an execution whose connection was cut after the pool ran it', async () => {
    const id = randomUUID();
    proxy.plan('reset-after');
    const error = await failure(client().execute(id, INCREMENT, { timeoutMs: 5_000 }));
    expect(error).toBeInstanceOf(TransportError);
    expect(error.message).toMatch(/Not retried: the code may already have run/);
    expect(proxy.received).toHaveLength(1);
    expect(await runs(id)).toBe(1);
  });

  it('does not resend an execution whose answer came too late, and reports a timeout', async () => {
    const id = randomUUID();
    proxy.plan({ delayMs: 4_000 });
    const error = await failure(client().execute(id, INCREMENT, { timeoutMs: 1_000 }));
    expect(error).toBeInstanceOf(SandboxTimeoutError);
    expect(error.message).toMatch(/no complete response within 2000 ms/);
    expect(proxy.received).toHaveLength(1);
    expect(await runs(id)).toBe(1);
  });

  it('retries reads after a reset and after a slow answer', async () => {
    const id = randomUUID();
    const writer = client();
    await writer.upload(id, 'kept.txt', new TextEncoder().encode('kept'));
    proxy.received.length = 0;
    proxy.plan('reset-before', { delayMs: 3_000 });
    const files = await writer.list(id);
    expect(files.map((file) => file.name)).toContain('kept.txt');
    expect(proxy.received).toHaveLength(3);
    proxy.plan('reset-after');
    expect(new TextDecoder().decode(await writer.download(id, 'kept.txt'))).toBe('kept');
  });
});
