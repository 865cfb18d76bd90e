/**
 * Semantic Kernel .NET `SessionsPythonPlugin` (microsoft/semantic-kernel,
 * dotnet/src/Plugins/Plugins.Core/CodeInterpreter/), three generations of it:
 * - since 2025-05 (gen-2, api-version 2024-10-02-preview): `new Uri(endpoint + "/", "executions?identifier=<raw>&api-version=…")`,
 *   headers User-Agent `Semantic-Kernel/<ver> (Language=dotnet)` and Authorization, body
 *   `{"codeInputType":"Inline","executionType":"Synchronous","timeoutInSeconds":100,"code":…}` as
 *   System.Text.Json writes it; reads `status` (required string) and `result.stdout/stderr/executionResult`,
 *   which SessionsPythonCodeExecutionResult types as `string?` (a number there is a JsonException,
 *   SK issue #12445: TIDEPOOL_POOL_EXECUTION_RESULT=string fixes it); upload `POST files` multipart →
 *   one SessionsRemoteFileMetadata {name, type, sizeInBytes?, lastModifiedAt?, contentType?};
 *   list `value[]`; download `files/<Uri.EscapeDataString(name)>/content`;
 * - 2024-07 to 2025-04: `python/execute?api-version=2024-02-02-preview` with the identifier inside
 *   `properties` and `pythonCode`, reading the flat `status`, `result`, `stdout`, `stderr` (GetProperty
 *   throws if one is missing); `files/upload`, `/files` (a doubled slash) and `python/downloadFile`;
 * - 2024-05: `python/execute` without a query, `python/uploadFile`, `python/files` and
 *   `python/downloadFile`, reading `$values`.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dotnetJson, dotnetMultipart, ENDPOINT, KEY, startClientPool, type ClientPool } from './replay.js';

const USER_AGENT = 'Semantic-Kernel/1.60.0.0 (Language=dotnet)';
const JSON_CONTENT = 'application/json; charset=utf-8';
const BASE = `${ENDPOINT}/`;

let typed: ClientPool;
let strings: ClientPool;
beforeAll(async () => {
  typed = await startClientPool();
  strings = await startClientPool({ executionResult: 'string' });
});
afterAll(async () => {
  await typed?.close();
  await strings?.close();
});

const headers = (extra: Record<string, string> = {}) => ({ 'User-Agent': USER_AGENT, Authorization: `Bearer ${KEY}`, ...extra });

/** System.Text.Json into SessionsPythonCodeExecutionResult: what deserialising the answer requires. */
function deserializeExecution(body: Record<string, unknown>): { status: string; result?: { stdout: string | null; stderr: string | null; executionResult: string | null } } {
  if (typeof body.status !== 'string') throw new Error('JsonException: $.status is required');
  const result = body.result as Record<string, unknown> | undefined;
  for (const field of ['stdout', 'stderr', 'executionResult']) {
    const value = result?.[field];
    if (value !== undefined && value !== null && typeof value !== 'string') throw new Error(`JsonException: The JSON value could not be converted to System.String. Path: $.result.${field}`);
  }
  return body as never;
}

async function execute(pool: ClientPool, sessionId: string, code: string): Promise<Record<string, unknown>> {
  const response = await pool.send({
    method: 'POST',
    url: `${BASE}executions?identifier=${sessionId}&api-version=2024-10-02-preview`,
    headers: headers({ 'Content-Type': JSON_CONTENT }),
    body: dotnetJson({ codeInputType: 'Inline', executionType: 'Synchronous', timeoutInSeconds: 100, code }),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

describe('SK .NET since 2025-05 (gen-2 executions)', () => {
  it('fails to deserialize a numeric executionResult on a default pool, as SK issue #12445 reports for Azure', async () => {
    const body = await execute(typed, randomUUID(), '6 * 7');
    expect((body.result as Record<string, unknown>).executionResult).toBe(42);
    expect(() => deserializeExecution(body)).toThrow(/JsonException.*executionResult/);
  });

  it('deserializes every kind of value with TIDEPOOL_POOL_EXECUTION_RESULT=string', async () => {
    const session = randomUUID();
    const cases: [string, string | null][] = [
      ['6 * 7', '42'],
      ['1 < 2', 'True'],
      ["{'a': 1}", "{'a': 1}"],
      ['"text"', 'text'],
      ['x = None\nx', null],
      ["print('Hello World!')", ''],
    ];
    for (const [code, expected] of cases) {
      const execution = deserializeExecution(await execute(strings, session, code));
      expect(execution.status, code).toBe('Succeeded');
      expect(execution.result!.executionResult, code).toBe(expected);
    }
    const figure = deserializeExecution(await execute(strings, session, 'import matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.show()'));
    expect(JSON.parse(figure.result!.executionResult!)).toMatchObject({ type: 'image', format: 'png' });
    const failed = deserializeExecution(await execute(strings, session, "raise KeyError('k')"));
    expect(failed.status).toBe('Failed');
    expect(failed.result!.stderr).toContain('KeyError');
  });

  it('uploads into one SessionsRemoteFileMetadata, lists value[], and downloads with an escaped name', async () => {
    const session = randomUUID();
    const upload = dotnetMultipart('sales data.csv', 'q,n\nQ1,5\n');
    const uploaded = await typed.send({ method: 'POST', url: `${BASE}files?identifier=${session}&api-version=2024-10-02-preview`, headers: headers({ 'Content-Type': upload.contentType }), body: upload.body });
    expect(uploaded.status).toBe(200);
    const metadata = (await uploaded.json()) as Record<string, unknown>;
    expect(metadata).toMatchObject({ name: 'sales data.csv', type: 'file', sizeInBytes: 9, contentType: 'text/csv; charset=utf-8' });
    expect(Number.isNaN(Date.parse(metadata.lastModifiedAt as string))).toBe(false);
    await execute(typed, session, "import pandas as pd\npd.read_csv('/mnt/data/sales data.csv').assign(n2=lambda d: d.n * 2).to_csv('/mnt/data/doubled.csv', index=False)");
    const list = (await (await typed.send({ method: 'GET', url: `${BASE}files?identifier=${session}&api-version=2024-10-02-preview`, headers: headers() })).json()) as { value: { name: string; type: string }[] };
    expect(list.value.map((entry) => entry.name).sort()).toEqual(['doubled.csv', 'sales data.csv']);
    const download = await typed.send({ method: 'GET', url: `${BASE}files/${encodeURIComponent('doubled.csv')}/content?identifier=${session}&api-version=2024-10-02-preview`, headers: headers() });
    expect(await download.text()).toBe('q,n,n2\nQ1,5,10\n');
  });
});

/** GetProperty("status"), ("result"), ("stdout"), ("stderr") on the flat legacy answer, GetRawText() each. */
function legacyText(body: Record<string, unknown>): string {
  const raw = (name: string) => {
    if (!(name in body)) throw new Error(`KeyNotFoundException: ${name}`);
    return JSON.stringify(body[name]);
  };
  return `Status:\n${raw('status')}\nResult:\n${raw('result')}\nStdout:\n${raw('stdout')}\nStderr:\n${raw('stderr')}\n`;
}

describe('SK .NET 2024-07 to 2025-04 (python/execute with the identifier in the body)', () => {
  it('executes, uploads, lists and downloads', async () => {
    const session = randomUUID();
    const run = async (code: string) => {
      const response = await typed.send({
        method: 'POST',
        url: `${BASE}python/execute?api-version=2024-02-02-preview`,
        headers: headers({ 'Content-Type': JSON_CONTENT }),
        body: dotnetJson({ properties: { identifier: session, codeInputType: 'Inline', executionType: 'Synchronous', timeoutInSeconds: 100, pythonCode: code } }),
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('deprecation')).not.toBeNull();
      return legacyText((await response.json()) as Record<string, unknown>);
    };
    expect(await run("n = 5\nprint('ok')\nn * 2")).toBe('Status:\n"Success"\nResult:\n10\nStdout:\n"ok\\n"\nStderr:\n""\n');
    const upload = dotnetMultipart('in.txt', 'abc');
    const uploaded = await typed.send({ method: 'POST', url: `${BASE}files/upload?identifier=${session}&api-version=2024-02-02-preview`, headers: headers({ 'Content-Type': upload.contentType }), body: upload.body });
    expect(((await uploaded.json()) as { value: { properties: Record<string, unknown> }[] }).value[0]!.properties).toMatchObject({ filename: 'in.txt', size: 3 });
    await run("open('/mnt/data/out.txt', 'w').write(open('/mnt/data/in.txt').read()[::-1])");
    const list = (await (await typed.send({ method: 'GET', url: `${BASE}/files?identifier=${session}&api-version=2024-02-02-preview`, headers: headers() })).json()) as { value: { properties: { filename: string } }[] };
    expect(list.value.map((entry) => entry.properties.filename).sort()).toEqual(['in.txt', 'out.txt']);
    const download = await typed.send({ method: 'GET', url: `${BASE}python/downloadFile?identifier=${session}&filename=out.txt&api-version=2024-02-02-preview`, headers: headers() });
    expect(await download.text()).toBe('cba');
  });
});

describe('SK .NET 2024-05 (every route under python/)', () => {
  it('executes without a query, uploads and lists under $values, downloads', async () => {
    const session = randomUUID();
    const run = async (code: string) => {
      const response = await typed.send({
        method: 'POST',
        url: `${BASE}python/execute`,
        headers: headers({ 'Content-Type': JSON_CONTENT }),
        body: dotnetJson({ properties: { identifier: session, codeInputType: 'Inline', executionType: 'Synchronous', timeoutInSeconds: 100, pythonCode: code } }),
      });
      return (await response.json()) as Record<string, unknown>;
    };
    expect(legacyText(await run('2 ** 10'))).toContain('Result:\n1024\n');
    const upload = dotnetMultipart('notes.md', '# hi\n');
    const uploaded = (await (await typed.send({ method: 'POST', url: `${BASE}python/uploadFile?identifier=${session}`, headers: headers({ 'Content-Type': upload.contentType }), body: upload.body })).json()) as {
      $values: { filename: string; size: number; last_modified_time: string }[];
    };
    expect(uploaded.$values[0]).toMatchObject({ filename: 'notes.md', size: 5 });
    const listed = (await (await typed.send({ method: 'GET', url: `${BASE}python/files?identifier=${session}`, headers: headers() })).json()) as { $values: { filename: string }[] };
    expect(listed.$values.map((file) => file.filename)).toEqual(['notes.md']);
    const download = await typed.send({ method: 'GET', url: `${BASE}python/downloadFile?identifier=${session}&filename=notes.md`, headers: headers() });
    expect(await download.text()).toBe('# hi\n');
    expect((await run('None')).result).toBe('');
  });
});
