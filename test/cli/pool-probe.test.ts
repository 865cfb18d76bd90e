/** The CLI's probe of a recorded local pool: each way a listener can fail to be our pool gives its reason. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probePool } from '../../src/cli/local-pool.js';

let server: http.Server;
let url: string;

beforeAll(async () => {
  server = http.createServer((request, response) => {
    const key = request.headers.authorization;
    if (request.url !== '/healthz') return void response.writeHead(404).end();
    if (key === 'Bearer silent') return; // never answers
    if (key === 'Bearer huge') return void response.writeHead(200).end('x'.repeat(200_000));
    if (key === 'Bearer down') return void response.writeHead(503).end('{}');
    if (key === 'Bearer right') return void response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok","sessions":{"live":1,"ready":2,"maxSessions":3}}');
    response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('probePool', () => {
  it.each([
    ['right', { ok: true, sessions: { live: 1, ready: 2, maxSessions: 3 } }],
    ['wrong', { ok: false, reason: 'it does not accept the recorded API key' }],
    ['down', { ok: false, reason: '/healthz answered HTTP 503' }],
    ['silent', { ok: false, reason: 'no answer within 300 ms' }],
    ['huge', { ok: false, reason: 'the answer to /healthz is too large to be a Tidepool pool' }],
  ])('key %s → %j', async (apiKey, expected) => {
    expect(await probePool({ url, apiKey }, 300)).toEqual(expected);
  });

  it('says when nothing listens', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    expect(await probePool({ url: `http://127.0.0.1:${port}`, apiKey: 'x' }, 300)).toEqual({ ok: false, reason: 'nothing listens there' });
  });
});
