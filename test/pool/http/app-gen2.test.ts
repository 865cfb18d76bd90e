/** Gen-2 (2024-10-02-preview and later) routes in-process, against the fake runtime with real host kernels. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, E, gen1Exec, gen2Exec, multipart, pollExecution, V1, V2, V25, V3, type Harness } from './app-harness.js';

let pool: Harness;
beforeAll(async () => {
  pool = await createHarness();
});
afterAll(async () => {
  await pool.close();
});

type Execution = { id: string; identifier: string; executionType: string; status: string; result?: Record<string, unknown> };

async function execute(identifier: string, code: string, version = V3, extra: Record<string, unknown> = {}): Promise<Execution> {
  const response = await pool.json(`${E}/executions?identifier=${identifier}&${version}`, gen2Exec(code, extra));
  expect(response.status).toBe(200);
  return (await response.json()) as Execution;
}

describe('gen-2 executions', () => {
  it('answers a synchronous execution with the flat resource and operation headers (vector 10)', async () => {
    const response = await pool.json(`${E}/executions?identifier=s3-gen2&${V2}`, gen2Exec("print('Hello World!')"));
    expect(response.status).toBe(200);
    const body = (await response.json()) as Execution;
    expect(body).toMatchObject({ identifier: 's3-gen2', executionType: 'Synchronous', status: 'Succeeded' });
    expect(body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.result).toMatchObject({ stdout: 'Hello World!\n', stderr: '', executionResult: '' });
    expect(Number.isInteger(body.result!.executionTimeInMilliseconds)).toBe(true);
    expect(response.headers.get('operation-id')).toBe(body.id);
    const location = response.headers.get('operation-location')!;
    expect(location).toContain(`${E}/executions/${body.id}?`);
    const again = await pool.request(location.replace('http://localhost', ''));
    expect(((await again.json()) as Execution).status).toBe('Succeeded');
  });

  it('types executionResult like the service, and as repr text in Jupyter format (vector 11)', async () => {
    expect((await execute('s3-gen2', '1+1')).result!.executionResult).toBe(2);
    expect((await execute('s3-gen2', 'a=None;a')).result!.executionResult).toBeNull();
    expect((await execute('s3-gen2', "float('nan')")).result!.executionResult).toBe('nan');
    expect((await execute('s3-gen2', '"nan"')).result!.executionResult).toBe('nan');
    expect((await execute('s3-gen2', '"nan"', V3, { returnJupyterFormatExecutionResult: true })).result!.executionResult).toBe("'nan'");
    expect((await execute('s3-gen2', 'a', V3, { returnJupyterFormatExecutionResult: true })).result!.executionResult).toBeNull();
    expect((await execute('s3-gen2', '[1, 2]')).result!.executionResult).toBe('[1, 2]');
  });

  it('reports a raising cell as Failed with the traceback in stderr', async () => {
    const body = await execute('s3-gen2', '1 / 0');
    expect(body.status).toBe('Failed');
    expect(body.result!.stderr).toContain('ZeroDivisionError');
  });

  it('truncates streams to outputStreamsMaxLength', async () => {
    const body = await execute('s3-gen2', "print('x' * 100)", V3, { outputStreamsMaxLength: 10 });
    expect(body.result!.stdout).toBe('xxxxxxxxxx');
  });

  it('decodes InlineBase64 code and accepts a body with only code and timeout (2025-10-02)', async () => {
    const encoded = Buffer.from('6 * 7').toString('base64');
    expect((await execute('s3-gen2', encoded, V3, { codeInputType: 'InlineBase64' })).result!.executionResult).toBe(42);
    const minimal = await pool.json(`/executions?identifier=s3-gen2&${V3}`, { code: '2 + 3', timeoutInSeconds: 10 });
    expect(((await minimal.json()) as Execution).result!.executionResult).toBe(5);
  });

  it('runs asynchronous executions in the background and answers polls (vector 13)', async () => {
    const response = await pool.json(`${E}/executions?identifier=s3-gen2&${V2}`, gen2Exec("import time\ntime.sleep(2)\nprint('done')", { executionType: 'Asynchronous' }));
    expect(response.status).toBe(202);
    const started = (await response.json()) as Execution;
    expect(started.status).toBe('Running');
    expect(started.result).toBeUndefined();
    const location = response.headers.get('operation-location')!;
    expect(location).toBeTruthy();
    const finished = await pollExecution(pool, `${E}/executions/${started.id}?identifier=s3-gen2&${V2}`);
    expect(finished.status).toBe('Succeeded');
    expect((finished.result as Record<string, unknown>).stdout).toBe('done\n');
  });

  it('uses a client-chosen operation-id and hides executions from other identifiers', async () => {
    const response = await pool.json(`/executions?identifier=s3-gen2&${V2}`, gen2Exec('7'), { headers: { 'operation-id': 'my-op-1' } });
    expect(response.headers.get('operation-id')).toBe('my-op-1');
    expect((await pool.request(`/executions/my-op-1?identifier=s3-gen2&${V2}`)).status).toBe(200);
    const foreign = await pool.request(`/executions/my-op-1?identifier=other-session&${V2}`);
    expect(foreign.status).toBe(404);
    const unknown = await pool.request(`/executions/does-not-exist?identifier=s3-gen2&${V2}`);
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { message: string } }).error.message).toContain('does-not-exist');
  });

  it('gives one operation-id to one execution of a session, also when two requests race for it', async () => {
    const slow = gen2Exec('import time; time.sleep(0.5); 1');
    const [first, second] = await Promise.all([
      pool.json(`/executions?identifier=race-a&${V2}`, slow, { headers: { 'operation-id': 'race-op' } }),
      pool.json(`/executions?identifier=race-a&${V2}`, slow, { headers: { 'operation-id': 'race-op' } }),
    ]);
    expect([first.status, second.status].sort()).toEqual([200, 400]);
    const refused = first.status === 400 ? first : second;
    expect(((await refused.json()) as { error: { message: string } }).error.message).toContain('already exists');
    // A request refused before it runs does not take the id it asked for.
    const invalid = await pool.json(`/executions?identifier=race-c&${V2}`, { codeInputType: 'Inline' }, { headers: { 'operation-id': 'freed-op' } });
    expect(invalid.status).toBe(400);
    const again = await pool.json(`/executions?identifier=race-c&${V2}`, gen2Exec('2'), { headers: { 'operation-id': 'freed-op' } });
    expect(again.status).toBe(200);
  });

  it('keeps operation-ids per session: another session may use the same id, and each polls only its own', async () => {
    const [mine, theirs] = await Promise.all([
      pool.json(`/executions?identifier=ids-a&${V2}`, gen2Exec('"a"'), { headers: { 'operation-id': 'shared-op' } }),
      pool.json(`/executions?identifier=ids-b&${V2}`, gen2Exec('"b"'), { headers: { 'operation-id': 'shared-op' } }),
    ]);
    expect([mine.status, theirs.status]).toEqual([200, 200]);
    for (const [identifier, value] of [['ids-a', 'a'], ['ids-b', 'b']]) {
      const polled = await pool.request(`/executions/shared-op?identifier=${identifier}&${V2}`);
      expect(polled.status).toBe(200);
      expect(((await polled.json()) as { result: { executionResult: unknown } }).result.executionResult).toBe(value);
    }
  });

  it('refuses shell-pool fields with SessionRequestNotSupported, saying this pool runs Python (vector 16)', async () => {
    for (const body of [{ shellCommand: 'echo hello world' }, { execCommandAndArgs: ['false'] }, { shellCommand: 'echo hi', codeInputType: 'Inline' }]) {
      const response = await pool.json(`${E}/executions?identifier=b1-shell&${V25}`, body);
      expect(response.status).toBe(400);
      expect(response.headers.get('x-ms-error-code')).toBe('SessionRequestNotSupported');
      expect(((await response.json()) as { error: { message: string } }).error.message).toContain('this pool runs Python');
    }
  });
});

describe('gen-2 files', () => {
  const q = `identifier=s3-files&${V2}`;

  it('uploads, lists, describes, downloads and deletes a file (vector 12)', async () => {
    const upload = await pool.request(`${E}/files?${q}`, { method: 'POST', body: multipart('test-file.txt', 'hello gen2') });
    expect(upload.status).toBe(200);
    const file = (await upload.json()) as Record<string, unknown>;
    expect(file).toMatchObject({ name: 'test-file.txt', type: 'file', sizeInBytes: 10, directory: '' });
    expect(file.contentType).toMatch(/^text\/plain/);
    expect(new Date(file.lastModifiedAt as string).toISOString()).toBe(file.lastModifiedAt);
    const list = (await (await pool.request(`${E}/files?${q}`)).json()) as { value: Record<string, unknown>[]; nextLink: unknown };
    expect(list.nextLink).toBeNull();
    expect(list.value.map((entry) => entry.name)).toContain('test-file.txt');
    const meta = (await (await pool.request(`${E}/files/test-file.txt?${q}`)).json()) as Record<string, unknown>;
    expect(meta).toMatchObject({ name: 'test-file.txt', sizeInBytes: 10 });
    expect(await (await pool.request(`${E}/files/test-file.txt/content?${q}`)).text()).toBe('hello gen2');
    const deleted = await pool.request(`${E}/files/test-file.txt?${q}`, { method: 'DELETE' });
    expect(deleted.status).toBe(204);
    expect(await deleted.text()).toBe('');
    expect((await pool.request(`${E}/files/test-file.txt?${q}`)).status).toBe(404);
  });

  it('uploads into the path directory and lists it, recursively on request', async () => {
    const upload = await pool.request(`/files?${q}&path=reports%2F2024`, { method: 'POST', body: multipart('a.csv', 'x,y\n') });
    expect(await upload.json()).toMatchObject({ name: 'a.csv', directory: 'reports/2024' });
    const inDir = (await (await pool.request(`/files?${q}&path=reports/2024`)).json()) as { value: { name: string }[] };
    expect(inDir.value.map((entry) => entry.name)).toEqual(['a.csv']);
    const top = (await (await pool.request(`/files?${q}&path=/mnt/data`)).json()) as { value: { name: string; type: string }[] };
    expect(top.value).toContainEqual(expect.objectContaining({ name: 'reports', type: 'directory' }));
    const deep = (await (await pool.request(`/files?${q}&recursive=true`)).json()) as { value: { name: string; directory: string }[] };
    expect(deep.value).toContainEqual(expect.objectContaining({ name: 'a.csv', directory: 'reports/2024' }));
    expect(await (await pool.request(`/files/reports/2024/a.csv/content?${q}`)).text()).toBe('x,y\n');
    expect(await (await pool.request(`/files/a.csv/content?${q}&path=reports/2024`)).text()).toBe('x,y\n');
  });
});

describe('sessions and pool management', () => {
  it('gets a session with both expiry names, and 400s an unknown one (vector 15)', async () => {
    await execute('s3-session', '1');
    const response = await pool.request(`${E}/session?identifier=s3-session&${V25}`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, string>;
    expect(body.identifier).toBe('s3-session');
    for (const field of ['createdAt', 'lastAccessedAt', 'expireAt', 'expiresAt']) expect(Date.parse(body[field]!)).not.toBeNaN();
    expect(body.expireAt).toBe(body.expiresAt);
    expect(body.etag).toBeTruthy();
    const unknown = await pool.request(`${E}/session?identifier=never-used-id&${V25}`);
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe('SessionWithIdentifierNotFound');
    const managed = await pool.request(`${E}/.management/getSession?identifier=s3-session&${V1}`, { method: 'POST' });
    expect(((await managed.json()) as Record<string, string>).identifier).toBe('s3-session');
  });

  it('lists sessions under sessions, value and count, with skip', async () => {
    await execute('s3-listed', '1');
    const body = (await (await pool.request(`${E}/listSessions?skip=0&${V25}`)).json()) as { sessions: { identifier: string }[]; value: unknown[]; count: number; nextLink: unknown };
    expect(body.sessions.map((session) => session.identifier)).toContain('s3-listed');
    expect(body.value).toEqual(body.sessions);
    expect(body.count).toBe(body.sessions.length);
    expect(body.nextLink).toBeNull();
    const skipped = (await (await pool.request(`${E}/listSessions?skip=${body.count}&${V25}`)).json()) as { sessions: unknown[] };
    expect(skipped.sessions).toEqual([]);
    const managed = (await (await pool.request(`${E}/.management/listSessions?${V1}`, { method: 'POST' })).json()) as { value: unknown[]; count: number };
    expect(managed.count).toBe(body.count);
    expect((await pool.request(`/listSessions?skip=-1&${V25}`)).status).toBe(400);
  });

  it('deletes a session: state and files are gone, the identifier works again (vector 14)', async () => {
    const q = `identifier=s1-delete&${V1}`;
    await pool.json(`${E}/code/execute?${q}`, gen1Exec('x = 5'));
    await pool.request(`${E}/files/upload?${q}`, { method: 'POST', body: multipart('keep.txt', 'x') });
    const deleted = await pool.request(`${E}/session?identifier=s1-delete&api-version=2025-10-02-preview`, { method: 'DELETE' });
    expect(deleted.status).toBe(204);
    const after = (await (await pool.json(`${E}/code/execute?${q}`, gen1Exec('x'))).json()) as { properties: Record<string, string> };
    expect(after.properties.status).toBe('Failure');
    expect(after.properties.stderr).toContain('NameError');
    expect(((await (await pool.request(`${E}/files?${q}`)).json()) as { value: unknown[] }).value).toEqual([]);
    expect((await pool.request(`${E}/session?identifier=never-used-2&${V3}`, { method: 'DELETE' })).status).toBe(204);
  });

  it('stops a session with a text confirmation naming the pool', async () => {
    await execute('s3-stop', '1');
    const response = await pool.request(`${E}/.management/stopSession?identifier=s3-stop&${V3}`, { method: 'POST' });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('Session s3-stop in session pool pool stopped.');
    expect((await pool.request(`${E}/session?identifier=s3-stop&${V3}`)).status).toBe(400);
  });

  it('describes the pool', async () => {
    const body = (await (await pool.request(`${E}/metadata?${V25}`)).json()) as Record<string, unknown>;
    expect(body.runtimes).toEqual([{ name: 'python', version: '3.11' }]);
    expect(body.preInstalledPackages).toEqual([{ name: 'numpy', version: '1.24' }]);
    expect(body.jupyterKernel).toMatchObject({ version: '3.11' });
    expect(Date.parse(body.createdAt as string)).not.toBeNaN();
  });
});
