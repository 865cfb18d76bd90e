/** What goes over the wire for each API generation, and how replies become the contract's shapes. */
import { afterEach, describe, expect, it } from 'vitest';
import { AcaClient } from '../../src/sandbox/backends/aca/aca-client.js';
import { gen1Result, gen2Result, startScriptedServer, type Reply, type ScriptedServer } from './helpers/scripted-server.js';

let server: ScriptedServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function clientFor(script: Reply[], apiVersion = '2024-02-02-preview'): Promise<{ client: AcaClient; server: ScriptedServer }> {
  server = await startScriptedServer(script);
  return { client: new AcaClient({ poolManagementEndpoint: `${server.url}/`, accessToken: 'key', apiVersion, env: {} }), server };
}

const IMAGE = { type: 'image', format: 'png', base64_data: 'iVBORw0KGgo=' };
const OTHER = { type: 'image', format: 'png', base64_data: 'iVBORw0KGgoA' };

describe('gen-1 (2024-02-02-preview)', () => {
  it('posts the properties envelope to code/execute and maps value, print, image and empty results', async () => {
    const { client, server } = await clientFor([
      gen1Result({ result: 42 }),
      gen1Result({ stdout: 'héllo 🌊\n' }),
      gen1Result({ result: IMAGE }),
      gen1Result({ result: "{'a': 1}" }),
    ]);
    const value = await client.execute('session-1', '6 * 7', { timeoutMs: 30_000 });
    expect(value).toMatchObject({ status: 'success', result: 42, images: [], stdout: '', stderr: '', durationMs: 5 });
    expect(value.error).toBeUndefined();
    const printed = await client.execute('session-1', "print('héllo 🌊')", { timeoutMs: 500_000 });
    expect(printed).toMatchObject({ stdout: 'héllo 🌊\n', result: null });
    // Azure sends a shown figure as the value; the contract has it once, in images.
    const image = await client.execute('session-1', 'plt.show()', { timeoutMs: 1000 });
    expect(image.result).toBeNull();
    expect(image.images).toEqual([IMAGE]);
    expect((await client.execute('session-1', "{'a': 1}", { timeoutMs: 1000 })).result).toBe("{'a': 1}");

    const first = server.requests[0]!;
    expect(first.method).toBe('POST');
    expect(first.url.pathname).toBe('/subscriptions/sub/resourceGroups/rg/sessionPools/pool/code/execute');
    expect(first.url.searchParams.get('api-version')).toBe('2024-02-02-preview');
    expect(first.url.searchParams.get('identifier')).toBe('session-1');
    expect(first.headers.authorization).toBe('Bearer key');
    expect(first.headers['content-type']).toMatch(/application\/json/);
    expect(JSON.parse(first.body.toString('utf8'))).toEqual({
      properties: { codeInputType: 'inline', executionType: 'synchronous', code: '6 * 7', timeoutInSeconds: 30 },
    });
    // UTF-8 out, and the 220 s service cap on the way in.
    expect(JSON.parse(server.requests[1]!.body.toString('utf8')).properties).toMatchObject({ code: "print('héllo 🌊')", timeoutInSeconds: 220 });
  });

  it('reports a Failure status as a failure result with the exception parsed from stderr', async () => {
    const traceback = 'Traceback (most recent call last):\n  File "<cell>", line 1, in <module>\nValueError: bad 🌧\n';
    const { client } = await clientFor([gen1Result({ status: 'Failure', stderr: traceback, stdout: 'before\n' })]);
    const result = await client.execute('session-1', "print('before'); raise ValueError('bad 🌧')", { timeoutMs: 1000 });
    expect(result).toMatchObject({ status: 'failure', stdout: 'before\n', stderr: '', result: null });
    expect(result.error).toEqual({ type: 'ValueError', message: 'bad 🌧', traceback });
  });

  it('keeps in stderr only what the code wrote before the traceback, ANSI colours and all', async () => {
    const written = 'warn \u001b[1mbold\u001b[0m\n  indented note\n';
    const traceback = '\u001b[0;31m---------------------------------------------------------------------------\u001b[0m\n\u001b[0;31mNameError\u001b[0m   Traceback (most recent call last)\nCell In[1], line 1\n\u001b[0;31mNameError\u001b[0m: name \'x\' is not defined\n';
    const { client } = await clientFor([gen1Result({ status: 'Failure', stderr: written + traceback })]);
    const result = await client.execute('session-1', 'x', { timeoutMs: 1000 });
    expect(result.stderr).toBe(written);
    expect(result.error).toMatchObject({ type: 'NameError', message: "name 'x' is not defined" });
    expect(result.error?.traceback).toMatch(/^-+\nNameError +Traceback/);
  });

  it("turns the service's timeout line into the contract's TimeoutError, with timeoutMs as a field", async () => {
    const notice = 'TimeoutError: Execution exceeded timeoutInSeconds (2 s; this pool allows at most 220 s). The cell was interrupted; the session\'s variables are kept.\n';
    const { client } = await clientFor([gen1Result({ status: 'Failure', stdout: 'started\n', stderr: `slow\n${notice}` })]);
    const result = await client.execute('session-1', 'while True: pass', { timeoutMs: 1500 });
    expect(result.stderr).toBe('slow\n');
    expect(result.error).toMatchObject({ type: 'TimeoutError', timeoutMs: 1500, traceback: '' });
    expect(result.error?.message).toMatch(/^Execution exceeded timeoutMs \(1500\); pass a larger timeoutMs or make the code faster\. The service said: Execution exceeded timeoutInSeconds \(2 s/);
  });

  it('leaves stderr as sent and the traceback empty when a failure has none to parse', async () => {
    const { client } = await clientFor([gen1Result({ status: 'Failure', stderr: 'kernel died\n' })]);
    const result = await client.execute('session-1', 'x', { timeoutMs: 1000 });
    expect(result).toMatchObject({ stderr: 'kernel died\n', error: { type: 'ExecutionFailed', message: 'kernel died', traceback: '' } });
  });

  it("reads a Tidepool pool's images field: each picture once, the value's last", async () => {
    const { client } = await clientFor([
      gen1Result({ result: 42, images: [IMAGE] }),
      gen1Result({ result: OTHER, images: [IMAGE] }),
      gen1Result({ status: 'Failure', stderr: 'Traceback (most recent call last):\nZeroDivisionError: division by zero\n', images: [IMAGE] }),
      gen1Result({ result: 'x', images: [{ type: 'image' }, 'junk', IMAGE] }),
    ]);
    expect(await client.execute('session-1', 'plt.plot([1]); 6*7', { timeoutMs: 1000 })).toMatchObject({ result: 42, images: [IMAGE] });
    expect(await client.execute('session-1', 'two figures', { timeoutMs: 1000 })).toMatchObject({ result: null, images: [IMAGE, OTHER] });
    expect(await client.execute('session-1', 'plot then raise', { timeoutMs: 1000 })).toMatchObject({ status: 'failure', result: null, images: [IMAGE] });
    expect((await client.execute('session-1', 'malformed', { timeoutMs: 1000 })).images).toEqual([IMAGE]);
  });

  it('uploads multipart, lists, downloads and deletes with percent-encoded names', async () => {
    const listed = { $id: '1', value: [{ $id: '2', properties: { $id: '3', filename: 'r é 🌊.bin', size: 3, lastModifiedTime: '2026-01-02T03:04:05.1234567Z' } }] };
    const { client, server } = await clientFor([
      { status: 200, json: listed },
      { status: 200, json: listed },
      { status: 200, body: new Uint8Array([0, 255, 7]) },
      { status: 200, json: { message: 'file deleted successfully' } },
    ]);
    const info = await client.upload('session-1', '/mnt/data/r é 🌊.bin', new Uint8Array([0, 255, 7]));
    expect(info).toEqual({ name: 'r é 🌊.bin', sizeBytes: 3, lastModified: new Date('2026-01-02T03:04:05.123Z') });
    expect(await client.list('session-1')).toEqual([info]);
    expect([...(await client.download('session-1', 'r é 🌊.bin'))]).toEqual([0, 255, 7]);
    await client.deleteFile('session-1', 'r é 🌊.bin');

    const [upload, list, download, remove] = server.requests;
    expect(upload!.url.pathname.endsWith('/files/upload')).toBe(true);
    expect(upload!.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    const multipart = upload!.body.toString('utf8');
    expect(multipart).toContain('name="file"; filename="r é 🌊.bin"');
    expect(upload!.body.includes(Buffer.from([0, 255, 7]))).toBe(true);
    expect(list!.url.pathname.endsWith('/files')).toBe(true);
    expect(download!.url.pathname.endsWith(`/files/content/${encodeURIComponent('r é 🌊.bin')}`)).toBe(true);
    expect(remove!.method).toBe('DELETE');
    expect(remove!.url.pathname.endsWith(`/files/${encodeURIComponent('r é 🌊.bin')}`)).toBe(true);
  });

  it('has no DELETE session, so deleteSession sends nothing', async () => {
    const { client, server } = await clientFor([]);
    expect(client.canDeleteSession).toBe(false);
    await client.deleteSession('session-1');
    expect(server.requests).toHaveLength(0);
  });
});

describe('gen-2 (2024-10-02, 2025-02-02, 2025-10-02)', () => {
  it('posts the flat body to executions and maps result.{stdout,stderr,executionResult}', async () => {
    const { client, server } = await clientFor([gen2Result({ executionResult: 2 }), gen2Result({ stdout: '63\n', executionResult: '' })], '2025-10-02-preview');
    expect(await client.execute('session-1', '1+1', { timeoutMs: 100_000 })).toMatchObject({ status: 'success', result: 2 });
    expect(await client.execute('session-1', 'print(63)', { timeoutMs: 100_000 })).toMatchObject({ stdout: '63\n', result: null });
    const request = server.requests[0]!;
    expect(request.url.pathname.endsWith('/executions')).toBe(true);
    expect(request.url.searchParams.get('api-version')).toBe('2025-10-02-preview');
    expect(JSON.parse(request.body.toString('utf8'))).toEqual({ codeInputType: 'Inline', executionType: 'Synchronous', code: '1+1', timeoutInSeconds: 100 });
  });

  it('maps Failed with a traceback in stderr to a failure result with error', async () => {
    const stderr = "Traceback (most recent call last):\n  File \"<cell>\", line 1\nNameError: name 'x' is not defined\n";
    const { client } = await clientFor([gen2Result({ status: 'Failed', stderr })], '2024-10-02-preview');
    const result = await client.execute('sess-1', 'x', { timeoutMs: 1000 });
    expect(result.status).toBe('failure');
    expect(result.error).toMatchObject({ type: 'NameError', message: "name 'x' is not defined" });
    expect(result.stderr).toBe('');
  });

  it("reads result.images beside executionResult, and a service error's line once", async () => {
    const message = 'The execution\'s output is 20000000 bytes, over this pool\'s limit.';
    const { client } = await clientFor(
      [
        gen2Result({ executionResult: IMAGE, images: [OTHER] }),
        gen2Result({ status: 'Failed', stdout: 'cut\n', stderr: `partial\nExecutionResultTooLarge: ${message}\n`, error: { code: 'ExecutionResultTooLarge', message } }),
      ],
      '2025-10-02-preview',
    );
    expect(await client.execute('sess-1', 'figures', { timeoutMs: 1000 })).toMatchObject({ result: null, images: [OTHER, IMAGE] });
    const tooLarge = await client.execute('sess-1', "'x' * 10**8", { timeoutMs: 1000 });
    expect(tooLarge).toMatchObject({ status: 'failure', stdout: 'cut\n', stderr: 'partial\n', error: { type: 'ExecutionFailed', message, traceback: '' } });
  });

  it('polls executions/{id} when a synchronous call comes back Running', async () => {
    const { client, server } = await clientFor(
      [
        { status: 202, json: { id: 'op 1', identifier: 'sess-1', executionType: 'Synchronous', status: 'Running' } },
        gen2Result({ id: 'op 1', stdout: 'done\n' }),
      ],
      '2025-02-02-preview',
    );
    expect(await client.execute('sess-1', 'import time', { timeoutMs: 5000 })).toMatchObject({ status: 'success', stdout: 'done\n' });
    expect(server.requests[1]!.method).toBe('GET');
    expect(server.requests[1]!.url.pathname.endsWith('/executions/op%201')).toBe(true);
  });

  it('uses files, files/{name}/content, DELETE files/{name} and DELETE session', async () => {
    const file = { name: 'a 🌊.txt', type: 'file', sizeInBytes: 2, lastModifiedAt: '2026-01-02T03:04:05Z' };
    const { client, server } = await clientFor(
      [
        { status: 200, json: { ...file, name: 'b.txt', directory: 'sub' } },
        { status: 200, json: { value: [file, { name: 'sub', type: 'directory', lastModifiedAt: '2026-01-02T03:04:05Z' }, { ...file, name: 'b.txt', directory: 'sub' }], nextLink: null } },
        { status: 200, body: 'hi' },
        { status: 204 },
        { status: 204 },
      ],
      '2025-10-02-preview',
    );
    expect(await client.upload('sess-1', 'sub/b.txt', new TextEncoder().encode('hi'))).toMatchObject({ name: 'sub/b.txt', sizeBytes: 2 });
    expect((await client.list('sess-1')).map((info) => info.name)).toEqual(['a 🌊.txt', 'sub/b.txt']);
    expect(new TextDecoder().decode(await client.download('sess-1', 'a 🌊.txt'))).toBe('hi');
    await client.deleteFile('sess-1', 'a 🌊.txt');
    expect(client.canDeleteSession).toBe(true);
    await client.deleteSession('sess-1');

    const [upload, list, download, remove, session] = server.requests;
    expect(upload!.url.pathname.endsWith('/files')).toBe(true);
    expect(upload!.url.searchParams.get('path')).toBe('sub');
    expect(upload!.body.toString('utf8')).toContain('filename="b.txt"');
    expect(list!.url.searchParams.get('recursive')).toBe('true');
    expect(download!.url.pathname.endsWith(`/files/${encodeURIComponent('a 🌊.txt')}/content`)).toBe(true);
    expect(remove!.method).toBe('DELETE');
    expect(session!.method).toBe('DELETE');
    expect(session!.url.pathname.endsWith('/session')).toBe(true);
    expect(session!.url.searchParams.get('identifier')).toBe('sess-1');
  });

  it('walks directories on versions that cannot list recursively, and accepts bare arrays', async () => {
    const { client, server } = await clientFor(
      [
        { status: 200, json: [{ name: 'top.txt', type: 'file', sizeInBytes: 1 }, { name: 'sub', type: 'directory' }] },
        { status: 200, json: { value: [{ name: 'deep.txt', type: 'File', sizeInBytes: 4 }] } },
      ],
      '2024-10-02-preview',
    );
    expect((await client.list('sess-1')).map((info) => info.name)).toEqual(['top.txt', 'sub/deep.txt']);
    expect(server.requests[1]!.url.searchParams.get('path')).toBe('sub');
    expect(server.requests[0]!.url.searchParams.has('recursive')).toBe(false);
  });

  it('fails clearly on a response of the wrong shape', async () => {
    const { client } = await clientFor([{ status: 200, json: { properties: { status: 'Success' } } }], '2025-10-02-preview');
    await expect(client.execute('sess-1', '1', { timeoutMs: 1000 })).rejects.toThrow(/unexpected shape.*ACA_API_VERSION/);
  });
});
