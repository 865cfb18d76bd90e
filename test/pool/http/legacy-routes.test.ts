/**
 * The legacy python/* routes in-process: every route and field the published clients use, the
 * flat answer shape, the Deprecation header, the once-per-client log line, and --legacy-api off.
 */
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LegacyUsageLog } from '../../../src/pool/http/legacy-usage-log.js';
import { createHarness, E, multipart, V1, type Harness } from './app-harness.js';

/** A pino logger whose lines land in an array. */
function capturingLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

const legacyLines = (lines: Record<string, unknown>[]) => lines.filter((line) => String(line.msg).startsWith('legacy python/* API used'));
const flush = () => new Promise((resolve) => setImmediate(resolve));

let pool: Harness;
let captured: ReturnType<typeof capturingLogger>;
beforeAll(async () => {
  captured = capturingLogger();
  pool = await createHarness({ logger: captured.logger });
});
afterAll(async () => {
  await pool?.close();
});

describe('POST python/execute', () => {
  it('runs pythonCode with the identifier in the query (LlamaIndex.TS) and answers the flat shape with a Deprecation header', async () => {
    const id = randomUUID();
    const response = await pool.json(`${E}/python/execute?identifier=${id}&${V1}`, {
      properties: { identifier: id, codeInputType: 'inline', executionType: 'synchronous', pythonCode: 'print("hi")\n6 * 7' },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('deprecation')).toBe('@1717200000');
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toEqual({ $id: '1', status: 'Success', stdout: 'hi\n', stderr: '', result: 42, executionTimeInMilliseconds: expect.any(Number) as number });
  });

  it('takes the identifier from the body when the query has none (Semantic Kernel .NET before 2025-05, and earlier builds without api-version)', async () => {
    const id = `sk-${randomUUID()}`;
    const first = await pool.json(`${E}/python/execute?${V1}`, { properties: { identifier: id, codeInputType: 'Inline', executionType: 'Synchronous', timeoutInSeconds: 100, pythonCode: 'x = 21' } });
    expect(first.status).toBe(200);
    const second = await pool.json(`${E}/python/execute/`, { properties: { identifier: id, codeInputType: 'inline', executionType: 'synchronous', pythonCode: 'x * 2', timeoutInSeconds: 100 } });
    expect(((await second.json()) as { result: number }).result).toBe(42);
  });

  it('reports a failure flat, with the traceback in stderr and "" as result', async () => {
    const response = await pool.json(`/python/execute?identifier=legacy-fail`, { properties: { code: '1 / 0' } });
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ status: 'Failure', result: '' });
    expect(body.stderr).toContain('ZeroDivisionError');
  });

  it('refuses a request without any identifier, or with an unknown api-version, with 400', async () => {
    const missing = await pool.json(`/python/execute`, { properties: { pythonCode: '1' } });
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { error: { message: string } }).error.message).toContain('"identifier" inside "properties"');
    expect((await pool.json(`/python/execute?identifier=x1&api-version=2023-01-01`, { properties: { pythonCode: '1' } })).status).toBe(400);
  });
});

describe('legacy files', () => {
  it('uploads with python/uploadFile, lists under $values and downloads with python/downloadFile', async () => {
    const id = `files-${randomUUID()}`;
    const upload = await pool.request(`${E}/python/uploadFile?identifier=${id}`, { method: 'POST', body: multipart('notes.txt', 'hello legacy') });
    expect(upload.status).toBe(200);
    expect(upload.headers.get('deprecation')).toBe('@1717200000');
    const uploaded = (await upload.json()) as { $id: string; $values: Record<string, unknown>[] };
    expect(uploaded.$id).toBe('1');
    expect(uploaded.$values).toEqual([{ $id: '2', filename: 'notes.txt', size: 12, last_modified_time: expect.stringMatching(/^\d{4}-\d\d-\d\dT[\d:]+\.\d{7}Z$/) as string }]);
    await pool.json(`/code/execute?identifier=${id}&${V1}`, { properties: { code: "open('out.csv', 'w').write('a,b\\n')" } });
    const list = (await (await pool.request(`${E}/python/files?identifier=${id}`)).json()) as { $values: { filename: string; size: number }[] };
    expect(list.$values.map((file) => [file.filename, file.size]).sort()).toEqual([
      ['notes.txt', 12],
      ['out.csv', 4],
    ]);
    const download = await pool.request(`${E}/python/downloadFile?identifier=${id}&filename=out.csv&${V1}`);
    expect(download.status).toBe(200);
    expect(await download.text()).toBe('a,b\n');
    const missing = await pool.request(`${E}/python/downloadFile?identifier=${id}&filename=nope.txt`);
    expect(missing.status).toBe(404);
    expect((await pool.request(`${E}/python/downloadFile?identifier=${id}`)).status).toBe(400);
  });
});

describe('the log line per client', () => {
  it('reports a client once, not on every call, and another client separately', async () => {
    const before = legacyLines(captured.lines).length;
    for (let call = 0; call < 3; call++) {
      await pool.json(`/python/execute?identifier=ua-a`, { properties: { pythonCode: '1' } }, { headers: { 'user-agent': 'client-a/1.0' } });
    }
    await pool.json(`/python/execute?identifier=ua-b`, { properties: { pythonCode: '1' } }, { headers: { 'user-agent': 'client-b/2.0' } });
    await flush();
    const lines = legacyLines(captured.lines).slice(before);
    expect(lines.map((line) => line.userAgent)).toEqual(['client-a/1.0', 'client-b/2.0']);
    expect(lines[0]).toMatchObject({ level: 40, route: 'POST /python/execute' });
  });

  it('holds back lines past the per-minute cap and counts them in the next line', () => {
    const { logger, lines } = capturingLogger();
    let now = 0;
    const usage = new LegacyUsageLog(logger, { maxLinesPerMinute: 2, perClientIntervalMs: 3_600_000, now: () => now });
    const call = (userAgent: string) => usage.record({ route: 'POST /python/execute', userAgent, remoteAddress: '127.0.0.1' });
    expect([call('a'), call('b'), call('c'), call('d'), call('a')]).toEqual([true, true, false, false, false]);
    now = 61_000;
    expect(call('e')).toBe(true);
    now = 3_700_000;
    expect(call('a')).toBe(true);
    return flush().then(() => {
      expect(lines.map((line) => [line.userAgent, line.otherCallsNotLogged])).toEqual([
        ['a', undefined],
        ['b', undefined],
        ['e', 2],
        ['a', undefined],
      ]);
    });
  });
});

describe('--legacy-api off', () => {
  it('refuses every python/* route with 404 LegacyApiNotSupported and logs no usage line', async () => {
    const { logger, lines } = capturingLogger();
    const strict = await createHarness({ legacyApi: false, logger });
    try {
      for (const [path, init] of [
        ['/python/execute?identifier=off', { method: 'POST', body: JSON.stringify({ properties: { pythonCode: '1' } }), headers: { 'content-type': 'application/json' } }],
        ['/python/files?identifier=off', {}],
        ['/python/downloadFile?identifier=off&filename=a', {}],
        ['/python/uploadFile?identifier=off', { method: 'POST', body: multipart('a.txt', 'a') }],
      ] as const) {
        const response = await strict.request(path, init as RequestInit);
        expect(response.status, path).toBe(404);
        expect(response.headers.get('x-ms-error-code')).toBe('LegacyApiNotSupported');
        expect(response.headers.get('deprecation')).toBeNull();
      }
      await flush();
      expect(legacyLines(lines)).toEqual([]);
    } finally {
      await strict.close();
    }
  });
});
