/**
 * The app called in process without a platform Request or Response (the embedded Sandbox-Pool's
 * path): the same answers as through `fetch`, the same limits, and the caller's abort reaching the
 * running cell.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exchangeInProcess, InProcessRequest } from '../../../src/pool/http/in-process.js';
import { MAX_EXECUTION_BODY_BYTES } from '../../../src/pool/http/routes/executions.js';
import { createHarness, E, gen2Exec, V3, type Harness } from './app-harness.js';

const BASE = `http://127.0.0.1${E}`;
const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8', accept: 'application/json' };

function execute(harness: Harness, identifier: string, body: unknown, signal = new AbortController().signal) {
  return exchangeInProcess(harness.fetch, `${BASE}/executions?${V3}&identifier=${identifier}`, {
    method: 'POST',
    headers: JSON_HEADERS,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal,
  });
}

function parse(bytes: Uint8Array): Record<string, unknown> {
  return JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
}

describe('the pool app called in process', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await createHarness();
  });
  afterAll(async () => {
    await harness.close();
  });

  it('answers an execution as a platform Request gets it answered, multi-byte text included', async () => {
    const code = 'print("héllo ✓"); "ünïcode"';
    const fast = await execute(harness, 'inproc-same', gen2Exec(code));
    const viaFetch = await harness.fetch(
      new Request(`${BASE}/executions?${V3}&identifier=inproc-same`, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(gen2Exec(code)) }),
    );
    expect(fast.status).toBe(200);
    expect(viaFetch.status).toBe(200);
    const [ours, theirs] = [parse(fast.bytes), (await viaFetch.json()) as Record<string, unknown>];
    const comparable = (body: Record<string, unknown>) => ({ ...body, id: undefined, result: { ...(body.result as object), executionTimeInMilliseconds: undefined } });
    expect(comparable(ours)).toEqual(comparable(theirs));
    expect((ours.result as { stdout: string }).stdout).toBe('héllo ✓\n');
    expect(fast.header('content-type')).toMatch(/^application\/json/);
  });

  it('refuses a body over the execution limit with 413, by its exact byte length', async () => {
    const padding = 'é'.repeat(Math.ceil(MAX_EXECUTION_BODY_BYTES / 2) + 1);
    const refused = await execute(harness, 'inproc-big', gen2Exec(`# ${padding}`));
    expect(refused.status).toBe(413);
    expect(refused.header('x-ms-error-code')).toBe('PayloadTooLarge');
  });

  it('answers a malformed body with a 400 that says why', async () => {
    const refused = await execute(harness, 'inproc-bad', '{"code": ');
    expect(refused.status).toBe(400);
    expect(new TextDecoder().decode(refused.bytes)).toMatch(/not valid JSON/);
  });

  it('reads answers the app did not build as JSON (an empty 204, an unknown route)', async () => {
    await execute(harness, 'inproc-delete', gen2Exec('1'));
    const deleted = await exchangeInProcess(harness.fetch, `${BASE}/session?${V3}&identifier=inproc-delete`, { method: 'DELETE', headers: {}, signal: new AbortController().signal });
    expect(deleted.status).toBe(204);
    expect(deleted.bytes).toHaveLength(0);
    const missing = await exchangeInProcess(harness.fetch, `${BASE}/nowhere?${V3}`, { method: 'GET', headers: {}, signal: new AbortController().signal });
    expect(missing.status).toBe(404);
  });

  it("passes the caller's abort to the running cell", async () => {
    const controller = new AbortController();
    const started = performance.now();
    const running = execute(harness, 'inproc-abort', gen2Exec('import time\ntime.sleep(30)'), controller.signal);
    setTimeout(() => controller.abort(), 300);
    await running.catch(() => undefined);
    // The cell was interrupted: the session answers again long before the 30 s sleep would end.
    const next = await execute(harness, 'inproc-abort', gen2Exec('"after"'));
    expect(next.status).toBe(200);
    expect(performance.now() - started).toBeLessThan(25_000);
  }, 60_000);
});

describe('InProcessRequest', () => {
  const url = 'http://127.0.0.1/code/execute?identifier=a';

  it('gives its body once, like a platform Request', async () => {
    const request = new InProcessRequest(url, { method: 'POST', headers: {}, body: '{"a":1}' });
    expect(request.bodyUsed).toBe(false);
    expect(await request.json()).toEqual({ a: 1 });
    expect(request.bodyUsed).toBe(true);
    await expect(request.text()).rejects.toThrow(/unusable/);
    expect(() => request.body).toThrow(/unusable/);
  });

  it('announces the exact UTF-8 length of its body and keeps the other headers', () => {
    const request = new InProcessRequest(url, { method: 'POST', headers: { Authorization: 'Bearer k' }, body: 'ü✓' });
    expect(request.headers.get('content-length')).toBe('5');
    expect(request.headers.get('authorization')).toBe('Bearer k');
    expect(new InProcessRequest(url, { method: 'GET', headers: {} }).headers.get('content-length')).toBeNull();
  });

  it('offers the body as a stream and a clone through a platform Request', async () => {
    const request = new InProcessRequest(url, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'stream me' });
    const clone = request.clone();
    expect(clone.method).toBe('POST');
    expect(await clone.text()).toBe('stream me');
    expect(await new Response(request.body).text()).toBe('stream me');
  });

  it("uses the caller's signal, or one that never aborts", () => {
    const controller = new AbortController();
    expect(new InProcessRequest(url, { method: 'GET', headers: {}, signal: controller.signal }).signal).toBe(controller.signal);
    expect(new InProcessRequest(url, { method: 'GET', headers: {} }).signal.aborted).toBe(false);
  });
});
