/**
 * The first Python weather tool's client, which this project grew from:
 * `requests.post` to `{endpoint}/code/execute?api-version=2024-02-02-preview&identifier={session_id}`
 * with `Authorization: Bearer …` and `Content-Type: application/json`, the gen-1 body, and it reads
 * `properties.result`, `properties.stdout` and `properties.stderr`. The session id is a name such
 * as `weather-new-york`, reused across calls.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENDPOINT, KEY, pythonJson, startClientPool, type ClientPool } from './replay.js';

let pool: ClientPool;
beforeAll(async () => {
  pool = await startClientPool();
});
afterAll(async () => {
  await pool?.close();
});

/** What `requests.post(url, headers=…, json=body)` sends, and the three fields the tool reads. */
async function execute(sessionId: string, code: string): Promise<{ result: unknown; stdout: unknown; stderr: unknown }> {
  const response = await pool.send({
    method: 'POST',
    url: `${ENDPOINT}/code/execute?api-version=2024-02-02-preview&identifier=${sessionId}`,
    headers: {
      'User-Agent': 'python-requests/2.32.3',
      'Accept-Encoding': 'gzip, deflate',
      Accept: '*/*',
      Connection: 'keep-alive',
      Authorization: `Bearer ${KEY}`,
      'Content-Type': 'application/json',
    },
    body: pythonJson({ properties: { codeInputType: 'inline', executionType: 'synchronous', code } }),
  });
  // response.raise_for_status()
  expect(response.status).toBe(200);
  const properties = ((await response.json()) as { properties: Record<string, unknown> }).properties;
  return { result: properties.result, stdout: properties.stdout, stderr: properties.stderr };
}

describe('first weather tool client (requests, gen-1)', () => {
  it('runs the weather code shape: prints a report, keeps the session per destination', async () => {
    const first = await execute('weather-new-york', "import json\nreport = {'city': 'New York', 'high_c': 3}\nprint(json.dumps(report))");
    expect(first).toEqual({ result: '', stdout: '{"city": "New York", "high_c": 3}\n', stderr: '' });
    const second = await execute('weather-new-york', "report['high_c'] * 2");
    expect(second.result).toBe(6);
  });

  it('gets the traceback in stderr when the code raises, with an empty result', async () => {
    const failed = await execute('weather-new-york', "raise RuntimeError('Open-Meteo unreachable')");
    expect(failed.result).toBe('');
    expect(failed.stderr).toContain('RuntimeError: Open-Meteo unreachable');
  });

  it('is refused with 401 without the right token, which raise_for_status turns into an error', async () => {
    const response = await pool.send({
      method: 'POST',
      url: `${ENDPOINT}/code/execute?api-version=2024-02-02-preview&identifier=weather-paris`,
      headers: { Authorization: 'Bearer wrong', 'Content-Type': 'application/json' },
      body: pythonJson({ properties: { codeInputType: 'inline', executionType: 'synchronous', code: '1' } }),
    });
    expect(response.status).toBe(401);
  });
});
