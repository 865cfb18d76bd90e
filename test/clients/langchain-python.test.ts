/**
 * LangChain Python, `langchain-azure-dynamic-sessions` 1.0.3 `SessionsPythonREPLTool`
 * (langchain-ai/langchain-azure, libs/azure-dynamic-sessions/…/tools/sessions.py):
 * - URLs: endpoint + "/" if missing + path + `?identifier=<urllib.parse.quote(id)>&api-version=2024-02-02-preview`;
 * - execute: `requests.post(code/execute, json={"properties":{codeInputType, executionType, code}})`
 *   with Authorization, Content-Type and `User-Agent: langchain-azure-dynamic-sessions/1.0.3 (Language=Python)`;
 *   reads `.get("properties", {})` → `result`, `stdout`, `stderr`, and drops `result.base64_data` when `result.type == "image"`;
 * - upload: `files/upload`, multipart `("file", (remote_file_path, data, "application/octet-stream"))`, reads `value[0].properties.filename/size`;
 * - list: `files` → `value[].properties.filename/size`; download: `files/content/<quote(path)>`;
 * - close / delete_session: `DELETE session?identifier=…&api-version=2025-10-02-preview`.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENDPOINT, KEY, PYTHON_REQUESTS_HEADERS, pythonJson, pythonMultipart, startClientPool, type ClientPool } from './replay.js';

const USER_AGENT = 'langchain-azure-dynamic-sessions/1.0.3 (Language=Python)';

let pool: ClientPool;
beforeAll(async () => {
  pool = await startClientPool();
});
afterAll(async () => {
  await pool?.close();
});

/** `_build_url`; Python's quote keeps letters, digits, `_.-~` and `/`. */
function buildUrl(sessionId: string, path: string): string {
  return `${ENDPOINT}/${path}?identifier=${encodeURIComponent(sessionId).replace(/%2F/g, '/')}&api-version=2024-02-02-preview`;
}

/** `_run`: the tool's text content, built from the three fields, without image data. */
async function run(sessionId: string, code: string): Promise<{ content: string; artifact: Record<string, unknown> }> {
  const response = await pool.send({
    method: 'POST',
    url: buildUrl(sessionId, 'code/execute'),
    headers: { 'User-Agent': USER_AGENT, ...PYTHON_REQUESTS_HEADERS, Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json' },
    body: pythonJson({ properties: { codeInputType: 'inline', executionType: 'synchronous', code } }),
  });
  expect(response.status).toBe(200);
  const properties = ((await response.json()) as { properties?: Record<string, unknown> }).properties ?? {};
  let result = structuredClone(properties.result);
  if (result !== null && typeof result === 'object' && (result as Record<string, unknown>).type === 'image' && 'base64_data' in result) {
    const { base64_data: _dropped, ...rest } = result as Record<string, unknown>;
    result = rest;
  }
  return { content: JSON.stringify({ result, stdout: properties.stdout, stderr: properties.stderr }, null, 2), artifact: properties };
}

describe('LangChain Python SessionsPythonREPLTool', () => {
  const session = randomUUID();

  it('invoke("6 * 7") gives the documented output', async () => {
    const { content } = await run(session, '6 * 7');
    expect(JSON.parse(content)).toEqual({ result: 42, stdout: '', stderr: '' });
  });

  it('keeps state, prints, shows None and nothing as "", and reports an exception in stderr', async () => {
    await run(session, 'x = 21');
    expect(JSON.parse((await run(session, 'print(x * 2)')).content)).toEqual({ result: '', stdout: '42\n', stderr: '' });
    expect(JSON.parse((await run(session, 'None')).content).result).toBe('');
    const failed = JSON.parse((await run(session, 'undefined_name')).content) as { stderr: string };
    expect(failed.stderr).toContain("NameError: name 'undefined_name' is not defined");
  });

  it('drops the base64 data of a figure from the content and keeps it in the artifact', async () => {
    const { content, artifact } = await run(session, 'import matplotlib.pyplot as plt\nplt.plot([1, 2, 3])\nplt.show()');
    expect(JSON.parse(content).result).toEqual({ type: 'image', format: 'png' });
    expect((artifact.result as { base64_data: string }).base64_data.startsWith('iVBOR')).toBe(true);
  });

  it('uploads, reads the file from code, lists, downloads what code wrote, and deletes the session', async () => {
    const upload = pythonMultipart('data/input.csv', 'a,b\n1,2\n');
    const uploaded = await pool.send({
      method: 'POST',
      url: buildUrl(session, 'files/upload'),
      headers: { 'User-Agent': USER_AGENT, ...PYTHON_REQUESTS_HEADERS, Authorization: `Bearer ${KEY}`, 'Content-Type': upload.contentType },
      body: upload.body,
    });
    expect(uploaded.status).toBe(200);
    const metadata = ((await uploaded.json()) as { value: { properties: { filename: string; size: number } }[] }).value[0]!.properties;
    expect({ filename: metadata.filename, size: metadata.size }).toEqual({ filename: 'data/input.csv', size: 8 });
    const read = await run(session, "import pandas as pd\ndf = pd.read_csv('/mnt/data/data/input.csv')\ndf.to_csv('/mnt/data/out file.csv', index=False)\nint(df.b.sum())");
    expect(JSON.parse(read.content).result).toBe(2);
    const list = await pool.send({ method: 'GET', url: buildUrl(session, 'files'), headers: { 'User-Agent': USER_AGENT, ...PYTHON_REQUESTS_HEADERS, Authorization: `Bearer ${KEY}` } });
    const names = ((await list.json()) as { value: { properties: { filename: string; size: number } }[] }).value.map((entry) => entry.properties.filename);
    expect(names.sort()).toEqual(['data/input.csv', 'out file.csv']);
    const download = await pool.send({
      method: 'GET',
      url: buildUrl(session, `files/content/${encodeURIComponent('out file.csv')}`),
      headers: { 'User-Agent': USER_AGENT, ...PYTHON_REQUESTS_HEADERS, Authorization: `Bearer ${KEY}` },
    });
    expect(download.status).toBe(200);
    expect(await download.text()).toBe('a,b\n1,2\n');
    const deleted = await pool.send({
      method: 'DELETE',
      url: `${ENDPOINT}/session?identifier=${session}&api-version=2025-10-02-preview`,
      headers: { Authorization: `Bearer ${KEY}`, 'User-Agent': USER_AGENT, ...PYTHON_REQUESTS_HEADERS },
    });
    expect(deleted.status).toBe(204);
    expect(JSON.parse((await run(session, 'x')).content).stderr).toContain('NameError');
  });

  it('deletes a session it never used (close() right after construction) without an error', async () => {
    const deleted = await pool.send({ method: 'DELETE', url: `${ENDPOINT}/session?identifier=${randomUUID()}&api-version=2025-10-02-preview`, headers: { Authorization: `Bearer ${KEY}` } });
    expect(deleted.status).toBe(204);
  });

  it('SessionsBashTool (Shell pools) is refused: this pool runs Python', async () => {
    const response = await pool.send({
      method: 'POST',
      url: `${ENDPOINT}/executions?identifier=${randomUUID()}&api-version=2025-02-02-preview`,
      headers: { 'User-Agent': USER_AGENT, ...PYTHON_REQUESTS_HEADERS, Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json' },
      body: pythonJson({ shellCommand: 'ls -la /mnt/data' }),
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('x-ms-error-code')).toBe('SessionRequestNotSupported');
  });
});
