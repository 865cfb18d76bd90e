/** Gen-1 (2024-02-02-preview) routes in-process, against the fake runtime with real host kernels. */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, E, gen1Exec, multipart, V1, type Harness } from './app-harness.js';

let pool: Harness;
beforeAll(async () => {
  pool = await createHarness();
});
afterAll(async () => {
  await pool.close();
});

async function exec(identifier: string, code: string, prefix = E) {
  const response = await pool.json(`${prefix}/code/execute?identifier=${identifier}&${V1}`, gen1Exec(code));
  expect(response.status).toBe(200);
  return (await response.json()) as { $id: string; properties: Record<string, unknown> };
}

describe('gen-1 code/execute', () => {
  it('returns a JSON-native value with the full properties envelope (vector 1)', async () => {
    const body = await exec('s1-gen1', '6 * 7');
    expect(body.$id).toBe('1');
    expect(body.properties).toMatchObject({ $id: '2', status: 'Success', stdout: '', stderr: '', result: 42, executionResult: 42 });
    expect(Number.isInteger(body.properties.executionTimeInMilliseconds)).toBe(true);
    expect(body.properties.executionTimeInMilliseconds as number).toBeGreaterThanOrEqual(0);
  });

  it('returns printed output and an empty-string result (vector 2)', async () => {
    const body = await exec('s1-gen1', "print('hello world')");
    expect(body.properties).toMatchObject({ status: 'Success', stdout: 'hello world\n', result: '' });
  });

  it('keeps state per identifier and isolates new identifiers (vector 3)', async () => {
    await exec('s1-gen1', 'x = 21');
    expect((await exec('s1-gen1', 'x * 2')).properties.result).toBe(42);
    const other = await exec('s2-gen1', 'x');
    expect(other.properties.status).toBe('Failure');
    expect(other.properties.stderr).toContain('NameError');
    expect(other.properties.result).toBe('');
  });

  it('returns non-scalar values as their repr string (vector 4)', async () => {
    const body = await exec('s1-gen1', "{'a': 1, 'b': 'x'}");
    expect(body.properties.result).toBe("{'a': 1, 'b': 'x'}");
  });

  it('returns a matplotlib figure as an image object (vector 5)', async () => {
    const body = await exec('s1-gen1', 'import matplotlib\nmatplotlib.use("Agg")\nimport matplotlib.pyplot as plt\nplt.plot([1, 2, 3])\nplt.show()');
    const result = body.properties.result as Record<string, string>;
    expect(result.type).toBe('image');
    expect(result.format).toBe('png');
    expect(Buffer.from(result.base64_data!, 'base64').subarray(1, 4).toString()).toBe('PNG');
  });

  it('puts the traceback in stderr when the code raises', async () => {
    const body = await exec('s1-gen1', 'def boom():\n    raise ValueError("bad value")\nboom()');
    expect(body.properties.status).toBe('Failure');
    expect(body.properties.stderr).toMatch(/Traceback[\s\S]*ValueError: bad value/);
  });

  it('clamps timeoutInSeconds to maxExecutionSeconds and reports the timeout in stderr', async () => {
    const short = await createHarness({ settings: { maxExecutionSeconds: 1 } });
    try {
      const response = await short.json(`/code/execute?identifier=slow-session&${V1}`, {
        properties: { code: 'import time\ntime.sleep(30)', timeoutInSeconds: 100 },
      });
      const body = (await response.json()) as { properties: Record<string, string> };
      expect(body.properties.status).toBe('Failure');
      expect(body.properties.stderr).toContain('timeoutInSeconds (1 s');
      const after = await short.json(`/code/execute?identifier=slow-session&${V1}`, gen1Exec('1 + 1'));
      expect(((await after.json()) as { properties: Record<string, unknown> }).properties.result).toBe(2);
    } finally {
      await short.close();
    }
  });

  it('refuses asynchronous execution on code/execute', async () => {
    const response = await pool.json(`/code/execute?identifier=s1-gen1&${V1}`, { properties: { code: '1', executionType: 'Asynchronous' } });
    expect(response.status).toBe(400);
    expect(response.headers.get('x-ms-error-code')).toBe('SessionRequestNotSupported');
  });
});

describe('gen-1 files', () => {
  it('maps an SK-style /mnt/data/ upload name to a bare filename and lists it (vector 6)', async () => {
    const response = await pool.request(`${E}/files/upload?identifier=s1-files&${V1}`, { method: 'POST', body: multipart('/mnt/data/hello.py', 'print("hi")\n') });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { $id: string; value: { $id: string; properties: Record<string, unknown> }[] };
    expect(body.$id).toBe('1');
    expect(body.value).toHaveLength(1);
    expect(body.value[0]!.$id).toBe('2');
    expect(body.value[0]!.properties).toMatchObject({ $id: '3', filename: 'hello.py', size: 12 });
    expect(body.value[0]!.properties.lastModifiedTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/);
    const list = (await (await pool.request(`${E}/files?identifier=s1-files&${V1}`)).json()) as { value: { properties: { filename: string } }[] };
    expect(list.value.map((entry) => `/mnt/data/${entry.properties.filename}`)).toContain('/mnt/data/hello.py');
  });

  it('round-trips 1 MiB of random bytes, visible to code (vector 7)', async () => {
    const data = randomBytes(1024 * 1024);
    const upload = await pool.request(`${E}/files/upload?identifier=s1-files&${V1}`, { method: 'POST', body: multipart('data.bin', data) });
    expect(upload.status).toBe(200);
    const download = await pool.request(`${E}/files/content/data.bin?identifier=s1-files&${V1}`);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-length')).toBe(String(data.length));
    expect(Buffer.from(await download.arrayBuffer()).equals(data)).toBe(true);
    const peek = await exec('s1-files', "open('data.bin', 'rb').read()[:4].hex()");
    expect(peek.properties.result).toBe(data.subarray(0, 4).toString('hex'));
  });

  it('lists and serves files written by code (vector 8)', async () => {
    await exec('s1-files', "open('out.txt', 'w').write('hi')");
    const list = (await (await pool.request(`${E}/files?identifier=s1-files&${V1}`)).json()) as { value: { properties: { filename: string; size: number } }[] };
    expect(list.value.find((entry) => entry.properties.filename === 'out.txt')?.properties.size).toBe(2);
    const content = await pool.request(`${E}/files/content/out.txt?identifier=s1-files&${V1}`);
    expect(await content.text()).toBe('hi');
    expect(content.headers.get('content-type')).toBe('text/plain; charset=utf-8');
  });

  it('answers a missing file with 404 and the error envelope (vector 9)', async () => {
    const response = await pool.request(`${E}/files/content/nope.txt?identifier=s1-files&${V1}`);
    expect(response.status).toBe(404);
    const body = (await response.json()) as { error: Record<string, string> };
    expect(body.error.code).toBe('NotFound');
    expect(body.error.message).toContain('nope.txt');
    expect(body.error.traceId).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.headers.get('x-ms-error-code')).toBe('NotFound');
  });

  it('serves names spanning several segments and percent-encoded names (vector 20)', async () => {
    await exec('s1-files', "import os\nos.makedirs('sub dir', exist_ok=True)\nopen('sub dir/a b.txt', 'w').write('spaced')\nos.makedirs('sub/dir', exist_ok=True)\nopen('sub/dir/a.txt', 'w').write('nested')");
    expect(await (await pool.request(`${E}/files/content/sub%20dir/a%20b.txt?identifier=s1-files&${V1}`)).text()).toBe('spaced');
    expect(await (await pool.request(`${E}/files/content/sub/dir/a.txt?identifier=s1-files&${V1}`)).text()).toBe('nested');
    expect(await (await pool.request(`${E}/files/sub%20dir/a%20b.txt/content?identifier=s1-files&${V1}`)).text()).toBe('spaced');
    expect(await (await pool.request(`${E}/files/content/%2Fmnt%2Fdata%2Fout.txt?identifier=s1-files&${V1}`)).text()).toBe('hi');
  });

  it('deletes a file with 200 and a message, and answers GET files/{name} with a one-item list', async () => {
    await pool.request(`/files/upload?identifier=s1-files&${V1}`, { method: 'POST', body: multipart('gone.txt', 'x') });
    const meta = (await (await pool.request(`/files/gone.txt?identifier=s1-files&${V1}`)).json()) as { value: { properties: { filename: string } }[] };
    expect(meta.value[0]!.properties.filename).toBe('gone.txt');
    const response = await pool.request(`/files/gone.txt?identifier=s1-files&${V1}`, { method: 'DELETE' });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ message: 'file deleted successfully' });
    expect((await pool.request(`/files/content/gone.txt?identifier=s1-files&${V1}`)).status).toBe(404);
  });

  it('rejects path traversal in names with 400', async () => {
    const download = await pool.request(`/files/content/..%2F..%2Fetc%2Fpasswd?identifier=s1-files&${V1}`);
    expect(download.status).toBe(400);
    expect(download.headers.get('x-ms-error-code')).toBe('SessionRequestValidationFailed');
    const upload = await pool.request(`/files/upload?identifier=s1-files&${V1}`, { method: 'POST', body: multipart('../escape.txt', 'x') });
    expect(upload.status).toBe(400);
    const absolute = await pool.request(`/files/upload?identifier=s1-files&${V1}`, { method: 'POST', body: multipart('/etc/passwd', 'x') });
    expect(absolute.status).toBe(400);
  });

  it('lists a brand-new session as an empty value array', async () => {
    const body = await (await pool.request(`/files?identifier=fresh-session&${V1}`)).json();
    expect(body).toEqual({ $id: '1', value: [] });
  });
});
