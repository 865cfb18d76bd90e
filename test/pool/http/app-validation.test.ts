/** Validation, errors, auth, limits and path tolerance, in-process. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, E, gen1Exec, gen2Exec, multipart, V1, V2, type Harness } from './app-harness.js';
import { expectNoFiles } from './oversized-upload.js';

let pool: Harness;
beforeAll(async () => {
  pool = await createHarness({ settings: { maxSessions: 20 } });
});
afterAll(async () => {
  await pool.close();
});

/** A body of 1 MiB chunks that never ends on its own; `onPull` counts what the server read. */
function endlessStream(onPull: () => void = () => undefined): ReadableStream<Uint8Array> {
  const chunk = new Uint8Array(1024 * 1024).fill(0x20);
  return new ReadableStream({
    pull(controller) {
      onPull();
      controller.enqueue(chunk);
    },
  });
}

async function errorOf(response: Response): Promise<{ status: number; code: string; message: string; target?: string; traceId: string; header: string | null }> {
  const body = (await response.json()) as { error: { code: string; message: string; target?: string; traceId: string } };
  return { status: response.status, header: response.headers.get('x-ms-error-code'), ...body.error };
}

describe('request validation', () => {
  it('requires a known api-version and names the valid ones', async () => {
    const missing = await errorOf(await pool.json(`/code/execute?identifier=valid-id`, gen1Exec('1')));
    expect(missing).toMatchObject({ status: 400, code: 'SessionRequestValidationFailed', header: 'SessionRequestValidationFailed', target: 'api-version' });
    expect(missing.message).toContain('2025-10-02-preview');
    const unknown = await errorOf(await pool.json(`/code/execute?identifier=valid-id&api-version=2023-01-01`, gen1Exec('1')));
    expect(unknown.status).toBe(400);
    expect(unknown.message).toContain('Unsupported api-version "2023-01-01"');
    expect(unknown.message).toContain('2024-02-02-preview');
  });

  it('validates identifiers by the service rules and accepts UUIDs (vector 18)', async () => {
    const long = await errorOf(await pool.json(`${E}/code/execute?identifier=${'a'.repeat(257)}&${V1}`, gen1Exec('1')));
    expect(long).toMatchObject({ status: 400, code: 'SessionRequestValidationFailed', target: 'identifier' });
    expect((await pool.json(`${E}/code/execute?identifier=s1&${V1}`, gen1Exec('1'))).status).toBe(200);
    expect((await pool.json(`${E}/code/execute?identifier=has%20space&${V1}`, gen1Exec('1'))).status).toBe(400);
    expect((await pool.json(`${E}/code/execute?${V1}`, gen1Exec('1'))).status).toBe(400);
    const uuid = await pool.json(`${E}/code/execute?identifier=${randomUUID()}&${V1}`, gen1Exec('6 * 7'));
    expect(uuid.status).toBe(200);
    // Identifiers SK and AutoGen send unencoded keep their characters ("+" is not a space here).
    const special = await pool.json(`${E}/code/execute?identifier=a+b|c{d}&${V1}`, gen1Exec('1'));
    expect(special.status).toBe(200);
    expect(pool.manager.getSession('a+b|c{d}')).toBeDefined();
  });

  it('rejects malformed JSON, non-object bodies and missing code with 400', async () => {
    const malformed = await pool.request(`/executions?identifier=valid-id&${V2}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"code": ' });
    expect(await errorOf(malformed)).toMatchObject({ status: 400, code: 'SessionRequestValidationFailed', target: 'body' });
    expect((await pool.json(`/executions?identifier=valid-id&${V2}`, [1, 2])).status).toBe(400);
    const noCode = await errorOf(await pool.json(`/executions?identifier=valid-id&${V2}`, { codeInputType: 'Inline', executionType: 'Synchronous', timeoutInSeconds: 5 }));
    expect(noCode).toMatchObject({ status: 400, target: 'code' });
    expect((await pool.json(`/code/execute?identifier=valid-id&${V1}`, { properties: {} })).status).toBe(400);
    expect((await pool.json(`/executions?identifier=valid-id&${V2}`, gen2Exec('1', { timeoutInSeconds: -1 }))).status).toBe(400);
    expect((await pool.json(`/executions?identifier=valid-id&${V2}`, gen2Exec('1', { executionType: 'Later' }))).status).toBe(400);
    expect((await pool.json(`/executions?identifier=valid-id&${V2}`, gen2Exec('1', { codeInputType: 'File' }))).status).toBe(400);
  });

  it('accepts the legacy pythonCode field and a case-insensitive executionType', async () => {
    const response = await pool.json(`/code/execute?identifier=valid-id&${V1}`, { properties: { codeInputType: 'Inline', executionType: 'Synchronous', pythonCode: '3 * 3' } });
    expect(((await response.json()) as { properties: { result: number } }).properties.result).toBe(9);
  });

  it('answers unknown routes, and legacy routes on a pool with --legacy-api off, with a JSON 404 that lists the supported operations', async () => {
    const strict = await createHarness({ legacyApi: false });
    try {
      const legacy = await errorOf(await strict.json(`${E}/python/execute?identifier=valid-id&${V1}`, gen1Exec('1')));
      expect(legacy).toMatchObject({ status: 404, code: 'LegacyApiNotSupported' });
      expect(legacy.message).toContain('code/execute');
      expect(legacy.message).toContain('--legacy-api off');
    } finally {
      await strict.close();
    }
    const unknownLegacy = await errorOf(await pool.request(`${E}/python/somethingElse?identifier=valid-id`));
    expect(unknownLegacy).toMatchObject({ status: 404, code: 'NotFound' });
    expect(unknownLegacy.message).toContain('python/downloadFile');
    const unknown = await errorOf(await pool.request(`/nothing-here?${V1}`));
    expect(unknown).toMatchObject({ status: 404, code: 'NotFound' });
    expect(unknown.message).toContain('POST executions');
  });
});

describe('path tolerance (vector 20)', () => {
  it('treats doubled slashes, a trailing slash and the pool prefix alike', async () => {
    for (const path of [`${E}//code/execute`, `${E}/code/execute/`, `/code/execute`, `//code/execute`, `${E.replace('pool', 'other-pool')}/code/execute`]) {
      const response = await pool.json(`${path}?identifier=paths-id&${V1}`, gen1Exec('6 * 7'));
      expect(response.status, path).toBe(200);
      expect(((await response.json()) as { properties: { result: number } }).properties.result, path).toBe(42);
    }
  });
});

describe('authentication (vector 17)', () => {
  let secured: Harness;
  beforeAll(async () => {
    secured = await createHarness({ apiKeys: ['key-one', 'key-two'] });
  });
  afterAll(async () => {
    await secured.close();
  });

  it('answers a missing or wrong bearer token with 401 and WWW-Authenticate', async () => {
    const missing = await secured.json(`${E}/code/execute?identifier=auth-id&${V1}`, gen1Exec('1'));
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('Unauthorized');
    const wrong = await secured.json(`${E}/code/execute?identifier=auth-id&${V1}`, gen1Exec('1'), { headers: { authorization: 'Bearer key-three' } });
    expect(wrong.status).toBe(401);
    const basic = await secured.json(`${E}/code/execute?identifier=auth-id&${V1}`, gen1Exec('1'), { headers: { authorization: 'Basic a2V5LW9uZQ==' } });
    expect(basic.status).toBe(401);
  });

  it('accepts any configured key', async () => {
    for (const key of ['key-one', 'key-two']) {
      const response = await secured.json(`${E}/code/execute?identifier=auth-id&${V1}`, gen1Exec('1'), { headers: { authorization: `Bearer ${key}` } });
      expect(response.status).toBe(200);
    }
  });

  it('keeps healthz open but shows session counts only with a key, and puts metrics behind the key', async () => {
    const health = await secured.request('/healthz');
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const wrongKey = await secured.request('/healthz', { headers: { authorization: 'Bearer key-three' } });
    expect(await wrongKey.json()).toEqual({ status: 'ok' });
    const withKey = await secured.request('/healthz', { headers: { authorization: 'Bearer key-two' } });
    expect(await withKey.json()).toMatchObject({ status: 'ok', sessions: { maxSessions: 20 } });
    // A pool without keys answers every caller like a key holder, as it does on every other route.
    expect(await (await pool.request('/healthz')).json()).toMatchObject({ status: 'ok', sessions: { maxSessions: 20 } });
    expect((await secured.request('/metrics')).status).toBe(401);
    const metrics = await secured.request('/metrics', { headers: { authorization: 'Bearer key-one' } });
    expect(metrics.status).toBe(200);
    const text = await metrics.text();
    expect(text).toMatch(/tidepool_pool_sessions_live \d+/);
    expect(text).toContain('tidepool_pool_sessions_ready');
    expect(text).toMatch(/tidepool_pool_executions_total\{status="succeeded"\} [1-9]/);
    expect(text).toContain('tidepool_pool_execution_duration_seconds_bucket');
  });
});

describe('limits and runtime failures', () => {
  it('answers an upload over the limit with 413 from the declared length, before reading the body', async () => {
    const small = await createHarness({ maxUploadBytes: 1024 });
    try {
      const response = await small.request(`/files/upload?identifier=limit-id&${V1}`, {
        method: 'POST',
        headers: { 'content-type': 'multipart/form-data; boundary=x', 'content-length': String(10 * 1024 * 1024) },
        body: new ReadableStream({
          start(controller) {
            controller.enqueue(new Uint8Array(2048));
            controller.close();
          },
        }),
        duplex: 'half',
      } as RequestInit);
      expect(await errorOf(response)).toMatchObject({ status: 413, code: 'PayloadTooLarge' });
    } finally {
      await small.close();
    }
  });

  it('stops a streamed upload at the limit with 413 and keeps no partial file', async () => {
    const small = await createHarness({ maxUploadBytes: 100 * 1024 });
    try {
      const form = multipart('big.bin', new Uint8Array(300 * 1024));
      // Stream it without a Content-Length, so only the byte count can catch it.
      const encoded = new Response(form);
      const response = await small.request(`/files/upload?identifier=limit-id&${V1}`, {
        method: 'POST',
        headers: { 'content-type': encoded.headers.get('content-type')! },
        body: encoded.body,
        duplex: 'half',
      } as RequestInit);
      expect(await errorOf(response)).toMatchObject({ status: 413, code: 'PayloadTooLarge' });
      await expectNoFiles(async () => ((await (await small.request(`/files?identifier=limit-id&${V1}`)).json()) as { value: unknown[] }).value);
      const fits = await small.request(`/files/upload?identifier=limit-id&${V1}`, { method: 'POST', body: multipart('ok.bin', new Uint8Array(50 * 1024)) });
      expect(fits.status).toBe(200);
    } finally {
      await small.close();
    }
  });

  it('refuses a body on an operation that takes none: 413 by declared length, and a chunked one closes the connection', async () => {
    const declared = await pool.request(`/listSessions?${V2.replace('2024-10-02', '2025-02-02')}`, {
      method: 'GET',
      headers: { 'content-length': String(10 * 1024 * 1024) },
    });
    expect(await errorOf(declared)).toMatchObject({ status: 413, code: 'PayloadTooLarge', header: 'PayloadTooLarge', target: 'body' });
    expect(declared.headers.get('connection')).toBe('close');
    const management = await pool.json(`/.management/listSessions?${V2.replace('2024-10-02', '2025-02-02')}`, {});
    expect(management.status).toBe(200);
    const chunked = await pool.request(`/.management/listSessions?${V2.replace('2024-10-02', '2025-02-02')}`, {
      method: 'POST',
      headers: { 'transfer-encoding': 'chunked' },
      body: endlessStream(),
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(200);
    expect(chunked.headers.get('connection')).toBe('close');
  });

  it('stops reading an execution body without a length as soon as it passes 32 MB', async () => {
    let pulled = 0;
    const response = await pool.request(`/executions?identifier=valid-id&${V2}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: endlessStream(() => pulled++),
      duplex: 'half',
    } as RequestInit);
    const error = await errorOf(response);
    expect(error).toMatchObject({ status: 413, code: 'PayloadTooLarge', target: 'body' });
    expect(response.headers.get('connection')).toBe('close');
    expect(pulled).toBeLessThan(40);
  });

  it('refuses an upload request whose files together pass what /mnt/data can hold, and keeps none of them', async () => {
    const small = await createHarness({ maxUploadBytes: 512 * 1024, settings: { diskMb: 1 } });
    try {
      const form = new FormData();
      for (let index = 0; index < 8; index++) form.append('file', new Blob([new Uint8Array(500 * 1024)]), `part-${index}.bin`);
      const encoded = new Response(form);
      const response = await small.request(`/files/upload?identifier=request-cap&${V1}`, {
        method: 'POST',
        headers: { 'content-type': encoded.headers.get('content-type')! },
        body: encoded.body,
        duplex: 'half',
      } as RequestInit);
      const error = await errorOf(response);
      expect(error).toMatchObject({ status: 413, code: 'PayloadTooLarge', target: 'file' });
      expect(error.message).toContain('in total');
      await expectNoFiles(async () => ((await (await small.request(`/files?identifier=request-cap&${V1}`)).json()) as { value: unknown[] }).value);
    } finally {
      await small.close();
    }
  });

  it('rejects uploads that are not multipart or have no file part', async () => {
    expect((await pool.json(`/files/upload?identifier=valid-id&${V1}`, { file: 'x' })).status).toBe(400);
    const form = new FormData();
    form.append('note', 'no file here');
    const noFile = await errorOf(await pool.request(`/files/upload?identifier=valid-id&${V1}`, { method: 'POST', body: form }));
    expect(noFile).toMatchObject({ status: 400, target: 'file' });
  });

  it('says the pool is full, and what to do, when no session can be allocated', async () => {
    const tiny = await createHarness({ settings: { maxSessions: 1 } });
    try {
      expect((await tiny.json(`/code/execute?identifier=first-id&${V1}`, gen1Exec('1'))).status).toBe(200);
      const full = await tiny.json(`/code/execute?identifier=second-id&${V1}`, gen1Exec('1'));
      const error = await errorOf(full);
      expect(error).toMatchObject({ status: 404, code: 'SessionPoolFull' });
      expect(error.message).toContain('pool is full');
      expect(error.message).toContain('--max-sessions');
      expect(full.headers.get('retry-after')).toBeTruthy();
      await tiny.request(`/session?identifier=first-id&${V2.replace('2024-10-02', '2025-02-02')}`, { method: 'DELETE' });
      expect((await tiny.json(`/code/execute?identifier=second-id&${V1}`, gen1Exec('1'))).status).toBe(200);
    } finally {
      await tiny.close();
    }
  });

  it('reports a kernel that died mid-execution as SessionLost, and the next call runs fresh', async () => {
    await pool.json(`/code/execute?identifier=lost-id&${V1}`, gen1Exec('y = 1'));
    const died = await pool.json(`/code/execute?identifier=lost-id&${V1}`, gen1Exec('import os\nos._exit(3)'));
    const error = await errorOf(died);
    expect(error).toMatchObject({ status: 500, code: 'SessionLost' });
    expect(error.message).toContain('again');
    const next = (await (await pool.json(`/code/execute?identifier=lost-id&${V1}`, gen1Exec('y'))).json()) as { properties: Record<string, string> };
    expect(next.properties.stderr).toContain('NameError');
  });

  it('records a runtime failure of an asynchronous execution on the resource', async () => {
    const tiny = await createHarness({ settings: { maxSessions: 1 } });
    try {
      await tiny.json(`/executions?identifier=first-id&${V2}`, gen2Exec('1'));
      const started = await tiny.json(`/executions?identifier=second-id&${V2}`, gen2Exec('1', { executionType: 'Asynchronous' }));
      const { id } = (await started.json()) as { id: string };
      let body: Record<string, unknown> = {};
      for (let i = 0; i < 50 && body.status !== 'Failed'; i++) {
        body = (await (await tiny.request(`/executions/${id}?identifier=second-id&${V2}`)).json()) as Record<string, unknown>;
        if (body.status === 'Running') await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(body.status).toBe('Failed');
      expect(body.error).toMatchObject({ code: 'SessionPoolFull' });
    } finally {
      await tiny.close();
    }
  });
});
