/** The pool-wide bound on the code of executions that wait or run (--pending-code-mb). */
import { afterEach, describe, expect, it } from 'vitest';
import { CodeBudget } from '../../../src/pool/http/code-budget.js';
import { resolveServerLimits } from '../../../src/pool/settings.js';
import { createHarness, V2, type Harness } from './app-harness.js';

const KB = 1024;

describe('CodeBudget', () => {
  it('reserves while there is room, refuses past it, and takes each release once', () => {
    const budget = new CodeBudget(100);
    const first = budget.reserve(60);
    expect(first).toBeDefined();
    expect(budget.reserve(41)).toBeUndefined();
    const second = budget.reserve(40);
    expect(budget.usedBytes).toBe(100);
    first!();
    first!();
    expect(budget.usedBytes).toBe(40);
    second!();
    expect(budget.usedBytes).toBe(0);
  });

  it('is at least the largest execution body, from its flag or variable', () => {
    expect(resolveServerLimits({}, {}).pendingCodeMb).toBe(64);
    expect(resolveServerLimits({}, { TIDEPOOL_POOL_PENDING_CODE_MB: '64' }).pendingCodeMb).toBe(64);
    expect(() => resolveServerLimits({ pendingCodeMb: 16 }, {})).toThrow(/at least 32/);
  });
});

describe('executions within the code budget', () => {
  let pool: Harness | undefined;
  afterEach(async () => {
    await pool?.close();
    pool = undefined;
  });

  /** A gen-2 execution whose body is `bytes` long (the code padded with a comment), with its Content-Length declared. */
  function send(identifier: string, code: string, options: { bytes?: number; asynchronous?: boolean; declareLength?: boolean } = {}) {
    let text = JSON.stringify({ code, executionType: options.asynchronous ? 'Asynchronous' : 'Synchronous' });
    if (options.bytes) text = JSON.stringify({ code: `${code}\n#${'a'.repeat(options.bytes - text.length - 3)}`, executionType: options.asynchronous ? 'Asynchronous' : 'Synchronous' });
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (options.declareLength !== false) headers['content-length'] = String(Buffer.byteLength(text));
    return pool!.request(`/executions?identifier=${identifier}&${V2}`, { method: 'POST', headers, body: text });
  }

  it('answers 429 ServerBusy with Retry-After past the budget, holds an asynchronous body until it ends, then has room again', async () => {
    const budget = new CodeBudget(1000 * KB);
    pool = await createHarness({ codeBudget: budget });
    const waiting = await send('budget-a', 'import time; time.sleep(1); 1', { bytes: 700 * KB, asynchronous: true });
    expect(waiting.status).toBe(202);
    expect(budget.usedBytes).toBeGreaterThanOrEqual(700 * KB);

    const refused = await send('budget-b', '2', { bytes: 700 * KB });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('x-ms-error-code')).toBe('ServerBusy');
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/--pending-code-mb/);

    // Small code still fits beside it, and gives its room back once answered.
    const small = await send('budget-b', '3');
    expect(small.status).toBe(200);

    const location = waiting.headers.get('operation-location')!.replace(/^https?:\/\/[^/]+/, '');
    await expect.poll(async () => ((await (await pool!.request(location)).json()) as { status: string }).status, { timeout: 30_000 }).toBe('Succeeded');
    await expect.poll(() => budget.usedBytes, { timeout: 10_000 }).toBe(0);
    expect((await send('budget-b', '4', { bytes: 700 * KB })).status).toBe(200);
  });

  it('never refuses a body that declares 16 KiB or less, though it counts against a full budget', async () => {
    const budget = new CodeBudget(1000 * KB);
    pool = await createHarness({ codeBudget: budget });
    const full = budget.reserve(1000 * KB)!;
    expect((await send('budget-d', '7', { bytes: 17 * KB })).status).toBe(429);
    expect((await send('budget-d', '8', { bytes: 16 * KB })).status).toBe(200);
    expect((await send('budget-d', '9')).status).toBe(200);
    expect(budget.usedBytes).toBe(1000 * KB);
    full();
    expect(budget.usedBytes).toBe(0);
  });

  it('counts a body without a declared length as the largest an execution may send, and refuses nothing for a bad body it could not run', async () => {
    const budget = new CodeBudget(40 * 1024 * KB);
    pool = await createHarness({ codeBudget: budget });
    const first = budget.reserve(10 * 1024 * KB)!;
    const undeclared = await send('budget-c', '5', { declareLength: false });
    expect(undeclared.status).toBe(429);
    first();
    expect((await send('budget-c', '6', { declareLength: false })).status).toBe(200);
    const invalid = await pool.request(`/executions?identifier=budget-c&${V2}`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': '8' }, body: '{"code":' });
    expect(invalid.status).toBe(400);
    expect(budget.usedBytes).toBe(0);
  });
});
