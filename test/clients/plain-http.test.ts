/**
 * Plain HTTP: the curl commands docs/pool.md shows, replayed byte for byte in-process, and Python
 * `requests` itself (when python3 has it) against a real pool on loopback, the way a script or the
 * first weather tool called it.
 */
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPoolServer, type RunningPoolServer } from '../../src/pool/index.js';
import { ENDPOINT, KEY, startClientPool, type ClientPool } from './replay.js';

const run = promisify(execFile);
const CURL = { 'User-Agent': 'curl/7.88.1', Accept: '*/*' };

let pool: ClientPool;
beforeAll(async () => {
  pool = await startClientPool();
});
afterAll(async () => {
  await pool?.close();
});

/** `curl -F 'file=@data.csv'`: curl's boundary, and application/octet-stream for a .csv. */
function curlForm(filename: string, data: string): { body: string; contentType: string } {
  const boundary = `------------------------${randomBytes(8).toString('hex')}`;
  const body = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n${data}\r\n--${boundary}--\r\n`;
  return { body, contentType: `multipart/form-data; boundary=${boundary}` };
}

describe('the curl commands of docs/pool.md', () => {
  const session = randomUUID();

  it('code/execute answers the documented shape', async () => {
    const response = await pool.send({
      method: 'POST',
      url: `${ENDPOINT}/code/execute?api-version=2024-02-02-preview&identifier=${session}`,
      headers: { ...CURL, Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json' },
      body: '{"properties":{"codeInputType":"inline","executionType":"synchronous","code":"6 * 7"}}',
    });
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toEqual({
      $id: '1',
      properties: { $id: '2', status: 'Success', stdout: '', stderr: '', result: 42, executionResult: 42, executionTimeInMilliseconds: expect.any(Number) as number },
    });
  });

  it('executions with the flat body, then files: upload with -F, download', async () => {
    const executed = await pool.send({
      method: 'POST',
      url: `${ENDPOINT}/executions?api-version=2025-10-02-preview&identifier=my-session`,
      headers: { ...CURL, Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json' },
      body: '{"code":"print(1 + 1)","timeoutInSeconds":60}',
    });
    expect(executed.status).toBe(200);
    expect(await executed.json()).toMatchObject({ identifier: 'my-session', status: 'Succeeded', result: { stdout: '2\n', stderr: '', executionResult: '' } });
    const form = curlForm('data.csv', 'x,y\n1,2\n');
    const uploaded = await pool.send({ method: 'POST', url: `${ENDPOINT}/files/upload?api-version=2024-02-02-preview&identifier=my-session`, headers: { ...CURL, Authorization: `Bearer ${KEY}`, 'Content-Type': form.contentType }, body: form.body });
    expect(((await uploaded.json()) as { value: { properties: { filename: string } }[] }).value[0]!.properties.filename).toBe('data.csv');
    const content = await pool.send({ method: 'GET', url: `${ENDPOINT}/files/content/data.csv?api-version=2024-02-02-preview&identifier=my-session`, headers: { ...CURL, Authorization: `Bearer ${KEY}` } });
    expect(await content.text()).toBe('x,y\n1,2\n');
  });
});

describe('Python requests against a real pool', () => {
  let server: RunningPoolServer;
  let available = true;

  beforeAll(async () => {
    try {
      await run('python3', ['-c', 'import requests']);
    } catch {
      available = false;
      return;
    }
    server = await startPoolServer({ port: 0, apiKeys: [KEY], readySessions: 1, maxSessions: 4, logger: pino({ level: 'silent' }), env: {} });
  }, 120_000);
  afterAll(async () => {
    await server?.close();
  });

  it('runs the first weather tool\'s request, uploads with files=, and downloads', async (context) => {
    if (!available) context.skip('python3 has no requests module here');
    const script = String.raw`
import sys, requests
endpoint, key = sys.argv[1], sys.argv[2]
session_id = "weather-new-york"
def execute(code):
    url = f"{endpoint}/code/execute?api-version=2024-02-02-preview&identifier={session_id}"
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    body = {"properties": {"codeInputType": "inline", "executionType": "synchronous", "code": code}}
    response = requests.post(url, headers=headers, json=body)
    response.raise_for_status()
    properties = response.json()["properties"]
    return properties["result"], properties["stdout"], properties["stderr"]
print(execute("print('Weather for New York')"))
print(execute("x = None\nx"))
files = [("file", ("notes.txt", b"pack an umbrella", "application/octet-stream"))]
upload = requests.post(f"{endpoint}/files/upload?api-version=2024-02-02-preview&identifier={session_id}", headers={"Authorization": f"Bearer {key}"}, files=files)
upload.raise_for_status()
print(upload.json()["value"][0]["properties"]["filename"])
print(execute("open('/mnt/data/notes.txt').read().upper()")[0])
content = requests.get(f"{endpoint}/files/content/notes.txt?api-version=2024-02-02-preview&identifier={session_id}", headers={"Authorization": f"Bearer {key}"})
print(content.text)
denied = requests.post(f"{endpoint}/code/execute?api-version=2024-02-02-preview&identifier={session_id}", headers={"Authorization": "Bearer wrong"}, json={})
print(denied.status_code)
`;
    const { stdout } = await run('python3', ['-c', script, `${server.url}/subscriptions/s/resourceGroups/rg/sessionPools/pool`, KEY]);
    expect(stdout.split('\n')).toEqual(["('', 'Weather for New York\\n', '')", "('', '', '')", 'notes.txt', 'PACK AN UMBRELLA', 'pack an umbrella', '401', '']);
  });
});
