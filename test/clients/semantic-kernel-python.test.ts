/**
 * Semantic Kernel Python `SessionsPythonTool` (microsoft/semantic-kernel,
 * python/semantic_kernel/core_plugins/sessions_python_tool/) against a real pool over HTTPS:
 * its `pool_management_endpoint` is a pydantic `HttpsUrl`, so it refuses http:// endpoints, and
 * `--tls self-signed` is what lets it in (its httpx client trusts the certificate through
 * SSL_CERT_FILE, or `http_client=AsyncClient(verify=<file>)`).
 * - URLs: `_build_url_with_version`: endpoint + "/" + op (one trailing "/" of the op trimmed, so
 *   `code/execute/` → `code/execute`) + `?identifier=<raw id>&api-version=2024-02-02-preview`;
 * - execute: headers set on the shared client (Authorization, `Content-Type: application/json`,
 *   `User-Agent: semantic-kernel-python/<ver> (Language=Python)`), httpx's compact JSON body
 *   `{"properties":{codeInputType,executionType,code,timeoutInSeconds:100}}` (the identifier is
 *   excluded), and it indexes `properties['status']`, `['result']`, `['stdout']`, `['stderr']`
 *   (a KeyError if one is missing);
 * - upload: multipart filename `/mnt/data/<name>`; the client keeps `Content-Type: application/json`
 *   from execute, which httpx does not replace, so the multipart body arrives labelled as JSON;
 *   reads `value[0].properties` (newer builds list `files` and look for `/mnt/data/` + filename);
 * - download: `files/content/<name>` unencoded.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPoolServer, type RunningPoolServer } from '../../src/pool/index.js';
import { KEY, pythonMultipart } from './replay.js';

const USER_AGENT = 'semantic-kernel-python/1.35.0 (Language=Python)';
const HTTPX_DEFAULTS = { accept: '*/*', 'accept-encoding': 'gzip, deflate', connection: 'keep-alive' };

let server: RunningPoolServer;
let ca: Buffer;
let endpoint: string;

beforeAll(async () => {
  server = await startPoolServer({ port: 0, apiKeys: [KEY], tls: 'self-signed', readySessions: 1, maxSessions: 4, logger: pino({ level: 'silent' }), env: {} });
  ca = await readFile(server.tls!.certificateFile);
  endpoint = `${server.url}/subscriptions/sub/resourceGroups/rg/sessionPools/pool/`;
}, 120_000);
afterAll(async () => {
  await server?.close();
});

function send(method: string, url: string, headers: Record<string, string>, body?: string | Uint8Array): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = httpsRequest(url, { method, ca, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
    });
    request.on('error', reject);
    request.end(body);
  });
}

function buildUrl(base: string, op: string, sessionId: string): string {
  const trimmed = op.endsWith('/') ? op.slice(0, -1) : op;
  return `${base.endsWith('/') ? base : `${base}/`}${trimmed}?identifier=${sessionId}&api-version=2024-02-02-preview`;
}

/** Python's str() of what SK formats: None, True/False, numbers, strings as they are. */
function str(value: unknown): string {
  if (value === null) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'object') throw new Error('not a scalar');
  return String(value as string | number);
}

/** execute_code(), returning the text SK hands to the model. */
async function executeCode(sessionId: string, code: string, token = KEY): Promise<string> {
  const body = JSON.stringify({ properties: { codeInputType: 'inline', executionType: 'synchronous', code, timeoutInSeconds: 100 } });
  const response = await send('POST', buildUrl(endpoint, 'code/execute/', sessionId), { ...HTTPX_DEFAULTS, 'user-agent': USER_AGENT, authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body);
  if (response.status >= 400) throw new Error(`Code execution failed with status code ${response.status} and error: ${response.text}`);
  const result = (JSON.parse(response.text) as { properties: Record<string, unknown> }).properties;
  for (const key of ['status', 'result', 'stdout', 'stderr']) if (!(key in result)) throw new Error(`KeyError: '${key}'`);
  return `Status:\n${str(result.status)}\nResult:\n${str(result.result)}\nStdout:\n${str(result.stdout)}\nStderr:\n${str(result.stderr)}`;
}

describe('Semantic Kernel Python SessionsPythonTool over https', () => {
  const session = randomUUID();

  it('serves the https endpoint SK requires', () => {
    expect(endpoint.startsWith('https://127.0.0.1:')).toBe(true);
  });

  it('executes with every field SK indexes present, and state kept', async () => {
    expect(await executeCode(session, '6 * 7')).toBe('Status:\nSuccess\nResult:\n42\nStdout:\n\nStderr:\n');
    await executeCode(session, 'rows = [1, 2, 3]');
    expect(await executeCode(session, 'print(len(rows))')).toBe('Status:\nSuccess\nResult:\n\nStdout:\n3\n\nStderr:\n');
    // None shows as nothing, not as SK's "None".
    expect(await executeCode(session, 'rows.clear()\nNone')).toContain('Result:\n\nStdout');
    const failed = await executeCode(session, '1 / 0');
    expect(failed).toMatch(/^Status:\nFailure\nResult:\n\nStdout:\n\nStderr:\n[\s\S]*ZeroDivisionError/);
  });

  it('uploads to /mnt/data/<name> even with the client\'s leftover JSON Content-Type, finds it in the list, and reads it back', async () => {
    const upload = pythonMultipart('/mnt/data/report.csv', 'city,temp\nParis,18\n');
    const uploaded = await send(
      'POST',
      buildUrl(endpoint, 'files/upload', session),
      { ...HTTPX_DEFAULTS, 'user-agent': USER_AGENT, authorization: `Bearer ${KEY}`, 'content-type': 'application/json', 'content-length': String(upload.body.byteLength) },
      upload.body,
    );
    expect(uploaded.status).toBe(200);
    const properties = (JSON.parse(uploaded.text) as { value: { properties: { filename: string; size: number } }[] }).value[0]!.properties;
    expect(properties).toMatchObject({ filename: 'report.csv', size: 19 });
    const list = await send('GET', buildUrl(endpoint, 'files', session), { ...HTTPX_DEFAULTS, 'user-agent': USER_AGENT, authorization: `Bearer ${KEY}`, 'content-type': 'application/json' });
    const entries = (JSON.parse(list.text) as { value: { properties: { filename: string; size: number } }[] }).value;
    expect(entries.find((entry) => `/mnt/data/${entry.properties.filename}` === '/mnt/data/report.csv')).toBeDefined();
    expect(await executeCode(session, "open('/mnt/data/report.csv').read().splitlines()[1]")).toContain('Result:\nParis,18\n');
    const download = await send('GET', buildUrl(endpoint, 'files/content/report.csv', session), { ...HTTPX_DEFAULTS, 'user-agent': USER_AGENT, authorization: `Bearer ${KEY}` });
    expect(download).toEqual({ status: 200, text: 'city,temp\nParis,18\n' });
  });

  it('fails the way SK reports HTTP errors for a wrong token, with the reason from the body', async () => {
    await expect(executeCode(session, '1', 'wrong-token')).rejects.toThrow(/status code 401 and error: .*not one of this pool's API keys/);
  });
});
