/** The bench's HTTP client: what it sends, what it returns, and the connections it keeps. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { jsonPoster, postJson } from '../../src/bench/support/http-client.js';

interface Seen {
  method: string;
  url: string;
  contentType: string;
  body: string;
  socketPort: number;
}

let server: http.Server | undefined;

/** A server that records each request and answers with `answer(request body)`. */
async function serve(answer: (body: string) => { status: number; text: string }): Promise<{ base: string; seen: Seen[]; closed: () => number }> {
  const seen: Seen[] = [];
  let closedConnections = 0;
  server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({ method: request.method ?? '', url: request.url ?? '', contentType: request.headers['content-type'] ?? '', body, socketPort: request.socket.remotePort ?? 0 });
      const { status, text } = answer(body);
      response.writeHead(status, { 'content-type': 'application/json' }).end(text);
    });
  });
  server.on('connection', (socket) => socket.on('close', () => closedConnections++));
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { base: `http://127.0.0.1:${port}`, seen, closed: () => closedConnections };
}

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

describe('bench HTTP client', () => {
  it('sends the same JSON POST each call over kept-alive connections, and parses the answers', async () => {
    const { base, seen } = await serve((body) => ({ status: 200, text: JSON.stringify({ echoed: JSON.parse(body) }) }));
    const post = jsonPoster(`${base}/code/execute?api-version=x&identifier=a%20b`, { code: '1' });
    const answers = [await post(), await post(), await post()];
    expect(answers).toEqual(Array(3).fill({ status: 200, body: { echoed: { code: '1' } } }));
    expect(seen.map((s) => [s.method, s.url, s.contentType, s.body])).toEqual(
      Array(3).fill(['POST', '/code/execute?api-version=x&identifier=a%20b', 'application/json', '{"code":"1"}']),
    );
    // Sequential calls reuse the pool's connections; a call sent in the tick its predecessor's answer
    // ended may find that connection not yet free and open one more, never one per call.
    expect(new Set(seen.map((s) => s.socketPort)).size).toBeLessThanOrEqual(2);
  });

  it('returns an error status with its body, and rejects an answer that is not JSON', async () => {
    let next = { status: 404, text: '{"error":"no such session"}' };
    const { base } = await serve(() => next);
    const post = jsonPoster(`${base}/x`, {});
    await expect(post()).resolves.toEqual({ status: 404, body: { error: 'no such session' } });
    next = { status: 502, text: '<html>bad gateway</html>' };
    await expect(post()).rejects.toThrow(SyntaxError);
  });

  it('rejects when nothing listens', async () => {
    const { base } = await serve(() => ({ status: 200, text: '{}' }));
    server?.close();
    await new Promise((resolve) => setImmediate(resolve));
    await expect(postJson(`${base}/x`, {})).rejects.toThrow(/ECONNREFUSED/);
  });

  it('shares kept-alive connections between all requests to an origin, one-off requests included', async () => {
    const { base, seen, closed } = await serve(() => ({ status: 200, text: '{"ok":true}' }));
    for (let round = 0; round < 20; round++) {
      await jsonPoster(`${base}/a`, {})();
      await expect(postJson(`${base}/b`, { a: round })).resolves.toEqual({ status: 200, body: { ok: true } });
    }
    expect(seen).toHaveLength(40);
    expect(new Set(seen.map((s) => s.socketPort)).size).toBeLessThanOrEqual(2);
    expect(closed()).toBe(0);
  });
});
