/**
 * Every answer carries its trace id in x-ms-request-id, and the request log line names the same id,
 * whether the route built a JSON answer (which says its size itself) or an error, empty or file answer.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { MemoryStream } from '../../support/streams.js';
import { createHarness, gen1Exec, gen2Exec, V1, V3, type Harness } from './app-harness.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function logged() {
  const log = new MemoryStream();
  harness = await createHarness({ logger: pino({ level: 'info' }, log) });
  const lines = () =>
    log.text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { msg: string; traceId?: string; status?: number; errorCode?: string; operation?: string })
      .filter((line) => line.msg === 'request');
  return { pool: harness, lines };
}

describe('request log and x-ms-request-id', () => {
  it.each([
    ['a gen-1 execution', `/code/execute?identifier=log-1&${V1}`, gen1Exec('6 * 7'), 200, undefined],
    ['a gen-2 execution', `/executions?identifier=log-2&${V3}`, gen2Exec('6 * 7'), 200, undefined],
    ['a refused execution', `/code/execute?identifier=bad%20id&${V1}`, gen1Exec('1'), 400, 'SessionRequestValidationFailed'],
    ['an unknown operation', `/no/such/route?identifier=log-3&${V1}`, {}, 404, 'NotFound'],
  ])('%s: the answer and the log line share one trace id', async (_label, path, body, status, errorCode) => {
    const { pool, lines } = await logged();
    const response = await pool.json(path, body);
    expect(response.status).toBe(status);
    const traceId = response.headers.get('x-ms-request-id');
    expect(traceId).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.headers.get('x-ms-error-code') ?? undefined).toBe(errorCode);
    await response.arrayBuffer();
    const line = lines().find((entry) => entry.traceId === traceId);
    expect(line).toMatchObject({ status, ...(errorCode !== undefined && { errorCode }) });
    if (errorCode === undefined) expect(line?.errorCode).toBeUndefined();
  });

  it('gives each request its own trace id', async () => {
    const { pool } = await logged();
    const ids = new Set<string | null>();
    for (let i = 0; i < 3; i++) ids.add((await pool.json(`/code/execute?identifier=log-4&${V1}`, gen1Exec('1'))).headers.get('x-ms-request-id'));
    expect(ids.size).toBe(3);
  });
});
