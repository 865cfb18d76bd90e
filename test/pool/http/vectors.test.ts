/**
 * Every compatibility vector of the ACA data-plane API (request/response pairs taken from the service's documentation), over real HTTP against the real runtime
 * (isolated sessions with their own /mnt/data). Vector 16 (Shell pool) is answered as a Python
 * pool does: shell fields are refused with SessionRequestNotSupported. The vectors' own identifiers
 * (s1, s2, s3, b1) are used as written; vector 18's `ab` is accepted too (the pool allows 1–256
 * characters, see validation.ts), so that vector checks the rule with ids that break it instead.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPoolServer, type RunningPoolServer } from '../../../src/pool/index.js';
import { E as POOL_PATH, gen1Exec, gen2Exec, multipart, pollExecution, V1, V2, V25, V3 } from './app-harness.js';
import { expectNoFiles, expectRefused, sendOversized } from './oversized-upload.js';

const KEY = `test-key-${randomUUID()}`;
let server: RunningPoolServer;
let E: string;

beforeAll(async () => {
  server = await startPoolServer({ port: 0, apiKeys: [KEY], maxSessions: 8, readySessions: 1, env: {} });
  E = `${server.url}${POOL_PATH}`;
}, 120_000);
afterAll(async () => {
  await server?.close();
});

function call(url: string, init: RequestInit = {}): Promise<Response> {
  return fetch(url, { ...init, headers: { authorization: `Bearer ${KEY}`, ...init.headers } });
}

function post(url: string, body: unknown): Promise<Response> {
  return call(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

async function gen1(identifier: string, code: string): Promise<Record<string, unknown>> {
  const response = await post(`${E}/code/execute?identifier=${identifier}&${V1}`, gen1Exec(code));
  expect(response.status).toBe(200);
  const body = (await response.json()) as { $id: string; properties: Record<string, unknown> };
  expect(body.$id).toBe('1');
  return body.properties;
}

async function gen2(identifier: string, code: string, version = V3, extra: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const response = await post(`${E}/executions?identifier=${identifier}&${version}`, gen2Exec(code, extra));
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

const resultOf = (body: Record<string, unknown>) => (body.result as Record<string, unknown>).executionResult;

describe('ACA compatibility vectors over real HTTP', () => {
  it('1: gen-1 value result', async () => {
    const properties = await gen1('s1', '6 * 7');
    expect(properties).toMatchObject({ $id: '2', status: 'Success', stdout: '', stderr: '', result: 42 });
    expect(Number.isInteger(properties.executionTimeInMilliseconds)).toBe(true);
  });

  it('2: gen-1 print', async () => {
    expect(await gen1('s1', "print('hello world')")).toMatchObject({ stdout: 'hello world\n', result: '', status: 'Success' });
  });

  it('3: state persists per identifier; a new identifier starts empty', async () => {
    await gen1('s1', 'x = 21');
    expect((await gen1('s1', 'x * 2')).result).toBe(42);
    const other = await gen1('s2', 'x');
    expect(other.status).toBe('Failure');
    expect(other.stderr).toContain('NameError');
  });

  it('4: repr string', async () => {
    expect((await gen1('s1', "{'a': 1, 'b': 'x'}")).result).toBe("{'a': 1, 'b': 'x'}");
  });

  it('5: image', async () => {
    const result = (await gen1('s1', 'import matplotlib.pyplot as plt\nplt.plot([1, 2, 3])\nplt.show()')).result as Record<string, string>;
    expect(result).toMatchObject({ type: 'image', format: 'png' });
    expect(result.base64_data!.startsWith('iVBOR')).toBe(true);
  });

  it('6: SK-style upload of /mnt/data/hello.py, then the list finds it', async () => {
    const response = await call(`${E}/files/upload?identifier=s1&${V1}`, { method: 'POST', body: multipart('/mnt/data/hello.py', "print('hi')\n") });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { $id: string; value: { $id: string; properties: Record<string, unknown> }[] };
    expect(body).toMatchObject({ $id: '1', value: [{ $id: '2', properties: { $id: '3', filename: 'hello.py', size: 12 } }] });
    expect(body.value[0]!.properties.lastModifiedTime).toMatch(/\.\d{7}Z$/);
    const list = (await (await call(`${E}/files?identifier=s1&${V1}`)).json()) as { value: { properties: { filename: string } }[] };
    expect(list.value.some((entry) => `/mnt/data/${entry.properties.filename}` === '/mnt/data/hello.py')).toBe(true);
  });

  it('7: 1 MiB round trip, visible to code at /mnt/data', async () => {
    const data = randomBytes(1024 * 1024);
    expect((await call(`${E}/files/upload?identifier=s1&${V1}`, { method: 'POST', body: multipart('data.bin', data) })).status).toBe(200);
    const download = await call(`${E}/files/content/data.bin?identifier=s1&${V1}`);
    expect(download.status).toBe(200);
    expect(Buffer.from(await download.arrayBuffer()).equals(data)).toBe(true);
    expect((await gen1('s1', "open('/mnt/data/data.bin','rb').read()[:4].hex()")).result).toBe(data.subarray(0, 4).toString('hex'));
  });

  it('8: files written by code are listed and served', async () => {
    await gen1('s1', "open('/mnt/data/out.txt','w').write('hi')");
    const list = (await (await call(`${E}/files?identifier=s1&${V1}`)).json()) as { value: { properties: { filename: string; size: number } }[] };
    expect(list.value.find((entry) => entry.properties.filename === 'out.txt')?.properties.size).toBe(2);
    expect(await (await call(`${E}/files/content/out.txt?identifier=s1&${V1}`)).text()).toBe('hi');
  });

  it('9: missing file → 404 with the error envelope', async () => {
    const response = await call(`${E}/files/content/nope.txt?identifier=s1&${V1}`);
    expect(response.status).toBe(404);
    const body = (await response.json()) as { error: { code: string; message: string; traceId: string } };
    expect(body.error.code).toBeTruthy();
    expect(body.error.traceId).toBeTruthy();
    expect(response.headers.get('x-ms-error-code')).toBe(body.error.code);
  });

  it('10: gen-2 sync execution (SK .NET)', async () => {
    const response = await post(`${E}/executions?identifier=s3&${V2}`, gen2Exec("print('Hello World!')"));
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ identifier: 's3', executionType: 'Synchronous', status: 'Succeeded', result: { stdout: 'Hello World!\n', stderr: '', executionResult: '' } });
    expect(body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.headers.get('operation-id')).toBe(body.id);
    expect(response.headers.get('operation-location')).toContain(`/executions/${body.id as string}`);
  });

  it('11: gen-2 typed results and Jupyter format', async () => {
    expect(resultOf(await gen2('s3', '1+1'))).toBe(2);
    expect(resultOf(await gen2('s3', 'a=None;a'))).toBeNull();
    expect(resultOf(await gen2('s3', "float('nan')"))).toBe('nan');
    expect(resultOf(await gen2('s3', '"nan"', V3, { returnJupyterFormatExecutionResult: true }))).toBe("'nan'");
  });

  it('12: gen-2 upload, list, metadata, content, delete', async () => {
    const q = `identifier=s3&${V2}`;
    const upload = await call(`${E}/files?${q}`, { method: 'POST', body: multipart('test-file.txt', 'twelve bytes') });
    expect(upload.status).toBe(200);
    const file = (await upload.json()) as Record<string, unknown>;
    expect(file).toMatchObject({ name: 'test-file.txt', type: 'file', sizeInBytes: 12 });
    expect(file.contentType).toMatch(/^text\/plain/);
    expect(file.lastModifiedAt).toBeTruthy();
    const list = (await (await call(`${E}/files?${q}`)).json()) as { value: { name: string }[] };
    expect(list.value.map((entry) => entry.name)).toContain('test-file.txt');
    expect(((await (await call(`${E}/files/test-file.txt?${q}`)).json()) as { name: string }).name).toBe('test-file.txt');
    expect(await (await call(`${E}/files/test-file.txt/content?${q}`)).text()).toBe('twelve bytes');
    expect((await call(`${E}/files/test-file.txt?${q}`, { method: 'DELETE' })).status).toBe(204);
    expect((await call(`${E}/files/test-file.txt?${q}`)).status).toBe(404);
  });

  it('13: gen-2 async execution, then polling', async () => {
    const response = await post(`${E}/executions?identifier=s3&${V2}`, gen2Exec("import time\ntime.sleep(2)\nprint('slept')", { executionType: 'Asynchronous' }));
    expect(response.status).toBe(202);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body.status).toBe('Running');
    expect(body.result).toBeUndefined();
    const location = response.headers.get('operation-location')!;
    expect(location.startsWith(server.url)).toBe(true);
    const finished = await pollExecution({ request: (path) => call(path) }, location);
    expect(finished).toMatchObject({ status: 'Succeeded', result: { stdout: 'slept\n' } });
    expect((await call(`${E}/executions/${randomUUID()}?identifier=s3&${V2}`)).status).toBe(404);
  });

  it('14: deleting a session clears its variables and files', async () => {
    expect((await call(`${E}/session?identifier=s1&api-version=2025-10-02-preview`, { method: 'DELETE' })).status).toBe(204);
    const after = await gen1('s1', 'x');
    expect(after.status).toBe('Failure');
    expect(after.stderr).toContain('NameError');
    const list = (await (await call(`${E}/files?identifier=s1&${V1}`)).json()) as { value: unknown[] };
    expect(list.value).toEqual([]);
  });

  it('15: session get and list', async () => {
    const response = await call(`${E}/session?identifier=s3&${V25}`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, string>;
    expect(body.identifier).toBe('s3');
    for (const field of ['createdAt', 'lastAccessedAt', 'expireAt', 'expiresAt', 'etag']) expect(body[field], field).toBeTruthy();
    const unknown = await call(`${E}/session?identifier=${randomUUID()}&${V25}`);
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe('SessionWithIdentifierNotFound');
    const list = (await (await call(`${E}/listSessions?skip=0&${V25}`)).json()) as { sessions: { identifier: string }[]; value: unknown[]; count: number };
    expect(list.sessions.map((session) => session.identifier)).toContain('s3');
    expect(list.count).toBe(list.sessions.length);
  });

  it('16: shell-pool requests are refused: this pool runs Python', async () => {
    for (const body of [{ shellCommand: 'echo hello world' }, { shellCommand: 'false' }, { shellCommand: 'echo hi', codeInputType: 'Inline' }]) {
      const response = await post(`${E}/executions?identifier=b1&${V25}`, body);
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'SessionRequestNotSupported' });
    }
  });

  it('17: no Authorization → 401', async () => {
    const response = await fetch(`${E}/code/execute?identifier=s1&${V1}`, { method: 'POST', body: JSON.stringify(gen1Exec('1')) });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const wrong = await fetch(`${E}/code/execute?identifier=s1&${V1}`, { method: 'POST', headers: { authorization: 'Bearer nope' }, body: JSON.stringify(gen1Exec('1')) });
    expect(wrong.status).toBe(401);
  });

  it('18: identifier validation', async () => {
    for (const bad of ['has%20space', 'x'.repeat(257), '%C3%A9t%C3%A9']) {
      const response = await post(`${E}/code/execute?identifier=${bad}&${V1}`, gen1Exec('1'));
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('SessionRequestValidationFailed');
    }
    expect((await gen1('ab', '1 + 1')).result).toBe(2);
    expect((await gen1(randomUUID(), '1 + 1')).result).toBe(2);
  });

  it('19: a 129 MB upload → 413 (or the connection closed under the send), nothing kept, the pool still answers', async () => {
    const identifier = `big-${randomUUID()}`;
    const outcome = await sendOversized(`${E}/files/upload?identifier=${identifier}&${V1}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}` },
      body: multipart('big.bin', new Uint8Array(129 * 1024 * 1024)),
    });
    expectRefused(outcome);
    await expectNoFiles(async () => ((await (await call(`${E}/files?identifier=${identifier}&${V1}`)).json()) as { value: unknown[] }).value);
    expect((await gen1(identifier, '6 * 7')).result).toBe(42);
  });

  it('20: path tolerance: //, trailing /, encoded names with spaces', async () => {
    for (const path of [`${E}//code/execute`, `${E}/code/execute/`]) {
      const response = await post(`${path}?identifier=s1&${V1}`, gen1Exec('6 * 7'));
      expect(response.status, path).toBe(200);
      expect(((await response.json()) as { properties: { result: number } }).properties.result).toBe(42);
    }
    await gen1('s1', "import os\nos.makedirs('/mnt/data/sub dir', exist_ok=True)\nopen('/mnt/data/sub dir/a b.txt','w').write('spaced')");
    const response = await call(`${E}/files/content/sub%20dir/a%20b.txt?identifier=s1&${V1}`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('spaced');
  });
});
