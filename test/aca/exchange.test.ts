/**
 * An injected `exchange` (the embedded pool's app, called in process) sends every request whose
 * body is whole; multipart uploads still go through `fetch`. Failures read through it are retried
 * and explained as over HTTP.
 */
import { describe, expect, it } from 'vitest';
import { AcaClient } from '../../src/sandbox/backends/aca/aca-client.js';
import type { HttpExchange } from '../../src/sandbox/backends/aca/transport.js';

const ENDPOINT = 'http://pool.invalid';
const GEN2 = '2025-10-02-preview';
const SUCCEEDED = { status: 'Succeeded', result: { stdout: '', stderr: '', executionResult: 3, executionTimeInMilliseconds: 1 } };

function answer(status: number, body: unknown, headers: Record<string, string> = {}) {
  return { status, header: (name: string) => headers[name.toLowerCase()] ?? null, bytes: new TextEncoder().encode(body === undefined ? '' : JSON.stringify(body)) };
}

describe('AcaClient with an injected exchange', () => {
  it('sends executions through it with a JSON body and the bearer key, and uploads through fetch', async () => {
    const seen: { url: string; method: string; headers: Record<string, string>; body?: string }[] = [];
    const exchange: HttpExchange = async (url, request) => {
      seen.push({ url, ...request });
      return answer(200, SUCCEEDED);
    };
    const uploads: string[] = [];
    const fetchUploads = (async (url: string, init: RequestInit) => {
      uploads.push(`${init.method} ${url} ${init.body instanceof FormData}`);
      return new Response(JSON.stringify({ name: 'a.txt', sizeInBytes: 1, lastModifiedAt: '2026-01-01T00:00:00Z', type: 'file' }), { status: 200 });
    }) as typeof fetch;
    const client = new AcaClient({ poolManagementEndpoint: ENDPOINT, accessToken: 'key', apiVersion: GEN2, env: {}, exchange, fetch: fetchUploads });

    const result = await client.execute('sess-1', '1 + 2', { timeoutMs: 5_000 });
    expect(result.result).toBe(3);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.url).toBe(`${ENDPOINT}/executions?api-version=${GEN2}&identifier=sess-1`);
    expect(seen[0]!.method).toBe('POST');
    expect(seen[0]!.headers.authorization).toBe('Bearer key');
    expect(JSON.parse(seen[0]!.body!)).toMatchObject({ code: '1 + 2' });

    await client.upload('sess-1', 'a.txt', new Uint8Array([1]));
    expect(uploads).toEqual([`POST ${ENDPOINT}/files?api-version=${GEN2}&identifier=sess-1 true`]);
    expect(seen).toHaveLength(1);
  });

  it("retries a busy answer after its Retry-After, read through the exchange's header()", async () => {
    let calls = 0;
    const exchange: HttpExchange = async () => (++calls === 1 ? answer(429, { error: { code: 'TooManyRequests', message: 'busy' } }, { 'retry-after': '1' }) : answer(200, SUCCEEDED));
    const client = new AcaClient({ poolManagementEndpoint: ENDPOINT, accessToken: 'key', apiVersion: GEN2, env: {}, exchange, retry: { minDelayMs: 1, maxDelayMs: 2 } });
    const started = performance.now();
    expect((await client.execute('sess-2', '1 + 2', { timeoutMs: 5_000 })).result).toBe(3);
    expect(calls).toBe(2);
    expect(performance.now() - started).toBeGreaterThanOrEqual(900);
  });

  it('reports an exchange that throws as a connection failure naming the endpoint', async () => {
    const exchange: HttpExchange = () => Promise.reject(Object.assign(new Error('gone'), { code: 'ECONNRESET' }));
    const client = new AcaClient({ poolManagementEndpoint: ENDPOINT, accessToken: 'key', apiVersion: GEN2, env: {}, exchange, retry: { maxRetries: 0 } });
    await expect(client.list('sess-3')).rejects.toThrow(/connection to http:\/\/pool\.invalid\/files.*failed \(ECONNRESET\)/);
  });
});
