/** Results are bounded: per execution (too large → a failed execution that says why) and in the store (oldest evicted → 410). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExecutionStore, recordBytes, type ExecutionRecord } from '../../../src/pool/http/execution-store.js';
import { createHarness, gen1Exec, gen2Exec, pollExecution, V1, V3, type Harness } from './app-harness.js';

const KIB = 1024;

function finished(id: string, identifier: string, stdoutBytes: number): ExecutionRecord {
  return {
    id,
    identifier,
    executionType: 'Synchronous',
    status: 'Succeeded',
    result: { stdout: 'x'.repeat(stdoutBytes), stderr: '', executionResult: '', executionTimeInMilliseconds: 1 },
  };
}

describe('ExecutionStore', () => {
  it('keeps its results under maxBytes by evicting the oldest first, and remembers what it evicted', () => {
    const store = new ExecutionStore({ maxBytes: 350 * KIB });
    for (let index = 0; index < 5; index++) store.put(finished(`run-${index}`, 'tenant', 100 * KIB));
    expect(store.bytes).toBeLessThanOrEqual(350 * KIB);
    expect(store.evictions).toBe(2);
    expect(store.lookup('run-0', 'tenant')).toEqual({ evicted: true });
    expect(store.lookup('run-1', 'tenant')).toEqual({ evicted: true });
    for (const id of ['run-2', 'run-3', 'run-4']) expect(store.lookup(id, 'tenant')).toMatchObject({ record: { id } });
    // An evicted id is still taken, and only its own session learns it was evicted.
    expect(store.has('run-0', 'tenant')).toBe(true);
    expect(store.has('run-0', 'someone-else')).toBe(false);
    expect(store.lookup('run-0', 'someone-else')).toBeUndefined();
  });

  it('counts what it holds and gives it back when a session is forgotten', () => {
    const store = new ExecutionStore({ maxBytes: 1024 * KIB });
    const record = finished('one', 'tenant', 10 * KIB);
    store.put(record);
    expect(store.bytes).toBe(recordBytes(record));
    store.forgetSession('tenant');
    expect(store.bytes).toBe(0);
    expect(store.lookup('one', 'tenant')).toBeUndefined();
  });

  it('drops finished results after an hour', () => {
    let now = 0;
    const store = new ExecutionStore({ now: () => now });
    store.put(finished('old', 'tenant', 10));
    now += 61 * 60 * 1000;
    expect(store.lookup('old', 'tenant')).toBeUndefined();
    expect(store.bytes).toBe(0);
  });
});

describe('results over the per-execution limit', () => {
  let pool: Harness;
  beforeAll(async () => {
    pool = await createHarness({ maxResultBytes: 64 * KIB });
  });
  afterAll(async () => {
    await pool.close();
  });

  it('answers a gen-2 execution whose value is too large as Failed with ExecutionResultTooLarge, and keeps the session', async () => {
    const response = await pool.json(`/executions?identifier=big-result&${V3}`, gen2Exec("kept = 7\n'x' * 300_000"));
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text.length).toBeLessThan(64 * KIB);
    const body = JSON.parse(text) as { status: string; result: Record<string, unknown>; error: { code: string; message: string } };
    expect(body.status).toBe('Failed');
    expect(body.result.executionResult).toBe('');
    expect(body.error.code).toBe('ExecutionResultTooLarge');
    expect(body.error.message).toContain('TIDEPOOL_POOL_MAX_RESULT_MB');
    expect(body.error.message).toContain('/mnt/data');
    expect(body.result.stderr).toContain('ExecutionResultTooLarge:');
    const after = (await (await pool.json(`/executions?identifier=big-result&${V3}`, gen2Exec('kept * 6'))).json()) as { result: { executionResult: number } };
    expect(after.result.executionResult).toBe(42);
  });

  it('cuts oversized output in gen-1 and says so at the end of stderr', async () => {
    const response = await pool.json(`/code/execute?identifier=big-output&${V1}`, gen1Exec("print('y' * 200_000)\n'z' * 10"));
    const text = await response.text();
    expect(text.length).toBeLessThan(64 * KIB);
    const { properties } = JSON.parse(text) as { properties: Record<string, string> };
    expect(properties.status).toBe('Failure');
    expect(properties.result).toBe('');
    expect(properties.stdout).toMatch(/^y+$/);
    expect(properties.stderr!.trimEnd().split('\n').at(-1)).toMatch(/^ExecutionResultTooLarge: /);
  });

  it('records an oversized asynchronous result the same way', async () => {
    const started = await pool.json(`/executions?identifier=big-async&${V3}`, gen2Exec("'x' * 300_000", { executionType: 'Asynchronous' }));
    const { id } = (await started.json()) as { id: string };
    const body = await pollExecution(pool, `/executions/${id}?identifier=big-async&${V3}`);
    expect(body).toMatchObject({ status: 'Failed', error: { code: 'ExecutionResultTooLarge' } });
  });
});

describe('a result store past its byte limit', () => {
  let pool: Harness;
  beforeAll(async () => {
    pool = await createHarness({ maxResultBytes: 128 * KIB, executions: new ExecutionStore({ maxBytes: 300 * KIB }) });
  });
  afterAll(async () => {
    await pool.close();
  });

  it('evicts the oldest results and answers a poll for one with 410 ExecutionResultEvicted, which says what to do', async () => {
    const ids: string[] = [];
    for (let index = 0; index < 4; index++) {
      const started = await pool.json(`/executions?identifier=store-cap&${V3}`, gen2Exec(`'${index}' * 100_000`, { executionType: 'Asynchronous' }));
      const { id } = (await started.json()) as { id: string };
      await pollExecution(pool, `/executions/${id}?identifier=store-cap&${V3}`);
      ids.push(id);
    }
    const evicted = await pool.request(`/executions/${ids[0]}?identifier=store-cap&${V3}`);
    expect(evicted.status).toBe(410);
    expect(evicted.headers.get('x-ms-error-code')).toBe('ExecutionResultEvicted');
    const { error } = (await evicted.json()) as { error: { code: string; message: string; traceId: string } };
    expect(error.code).toBe('ExecutionResultEvicted');
    expect(error.message).toContain('TIDEPOOL_POOL_RESULT_STORE_MB');
    expect(error.message).toContain('run it again');
    const newest = await pool.request(`/executions/${ids[3]}?identifier=store-cap&${V3}`);
    expect(newest.status).toBe(200);
    expect(((await newest.json()) as { result: { executionResult: string } }).result.executionResult).toHaveLength(100_000);
    // Another session cannot learn that the id existed.
    expect((await pool.request(`/executions/${ids[0]}?identifier=someone-else&${V3}`)).status).toBe(404);
    expect(pool.deps.executions.bytes).toBeLessThanOrEqual(300 * KIB);
  });
});
