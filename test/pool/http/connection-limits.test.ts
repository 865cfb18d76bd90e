/**
 * The HTTP edge over a real loopback port: idle connections beyond the caps are closed at once,
 * idle ones within them are ended by the timeouts, and a fresh client still reaches /healthz.
 * Extra client addresses are other loopback addresses (127.0.0.2, …), which Linux routes to lo.
 */
import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { clientKey } from '../../../src/pool/http/connection-limits.js';
import { startPoolServer, type PoolServerOptions, type RunningPoolServer } from '../../../src/pool/index.js';
import { resolvePoolSettings } from '../../../src/pool/settings.js';
import { FakeSessionManager } from './fake-session-manager.js';

const servers: RunningPoolServer[] = [];
const sockets: net.Socket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const server of servers.splice(0)) await server.close();
});

async function start(options: PoolServerOptions): Promise<RunningPoolServer> {
  const server = await startPoolServer({ port: 0, sessionManager: new FakeSessionManager(resolvePoolSettings({ readySessions: 0 }, {})), env: {}, ...options });
  servers.push(server);
  return server;
}

interface IdleSocket {
  socket: net.Socket;
  /** Settles with the time from connect to close, once the server closes it. */
  closed: Promise<number>;
}

/** Opens a connection from `localAddress` that never sends a byte. */
async function idleSocket(port: number, localAddress: string): Promise<IdleSocket> {
  const socket = net.connect({ host: '127.0.0.1', port, localAddress });
  sockets.push(socket);
  socket.on('error', () => undefined);
  // Reading is how a client notices the server's FIN; the bytes themselves are not needed.
  socket.resume();
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const opened = performance.now();
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(performance.now() - opened)));
  return { socket, closed };
}

const within = <T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> =>
  Promise.race([promise, new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), ms))]);

/** GET /healthz on a new connection from 127.0.0.1, with its wall time. */
async function healthz(server: RunningPoolServer): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  const status = await new Promise<number>((resolve, reject) => {
    const request = http.get(`${server.url}/healthz`, { agent: false, timeout: 1000 }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('timeout', () => request.destroy(new Error('no answer within 1 s')));
    request.on('error', reject);
  });
  return { status, ms: performance.now() - started };
}

describe('connection caps', () => {
  it('closes idle connections past the per-client cap at once, and /healthz from another client still answers within 1 s', async () => {
    const server = await start({ maxConnectionsPerClient: 4, maxConnections: 64 });
    const idle = await Promise.all(Array.from({ length: 12 }, () => idleSocket(server.port, '127.0.0.2')));
    const outcomes = await Promise.all(idle.map(({ closed }) => within(closed, 1000)));
    const closedAtOnce = outcomes.filter((outcome) => outcome !== 'timeout');
    expect(closedAtOnce).toHaveLength(8);
    for (const ms of closedAtOnce) expect(ms).toBeLessThan(1000);
    const health = await healthz(server);
    expect(health.status).toBe(200);
    expect(health.ms).toBeLessThan(1000);
    // Still full for that client: one more is refused too.
    const another = await idleSocket(server.port, '127.0.0.2');
    expect(await within(another.closed, 1000)).not.toBe('timeout');
  });

  it('closes connections past the total cap at once, and idle ones end after the header timeout', async () => {
    const server = await start({ maxConnections: 6, maxConnectionsPerClient: 3, headersTimeoutMs: 400 });
    const held = await Promise.all(['127.0.0.2', '127.0.0.3'].flatMap((address) => Array.from({ length: 3 }, () => idleSocket(server.port, address))));
    const extra = await idleSocket(server.port, '127.0.0.4');
    expect(await within(extra.closed, 1000)).not.toBe('timeout');
    // The held ones never sent a request: the server ends them once the header timeout passes.
    const lifetimes = await Promise.all(held.map(({ closed }) => within(closed, 3000)));
    for (const ms of lifetimes) {
      expect(ms).not.toBe('timeout');
      expect(ms).toBeGreaterThanOrEqual(300);
    }
    const health = await healthz(server);
    expect(health.status).toBe(200);
  });

  it('counts refused connections in /metrics', async () => {
    const server = await start({ maxConnectionsPerClient: 1, apiKeys: ['metrics-key'] });
    const first = await idleSocket(server.port, '127.0.0.2');
    const second = await idleSocket(server.port, '127.0.0.2');
    await within(second.closed, 1000);
    const text = await (await fetch(`${server.url}/metrics`, { headers: { authorization: 'Bearer metrics-key' } })).text();
    expect(text).toMatch(/tidepool_pool_connections_rejected_total\{reason="per_client"\} [1-9]/);
    first.socket.destroy();
  });

  it('serves a heavy client: 32 keep-alive connections from one address, many requests each', async () => {
    const server = await start({});
    const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
    try {
      const get = () =>
        new Promise<number>((resolve, reject) => {
          http.get(`${server.url}/healthz`, { agent }, (response) => {
            response.resume();
            response.on('end', () => resolve(response.statusCode ?? 0));
          }).on('error', reject);
        });
      const statuses = await Promise.all(Array.from({ length: 320 }, get));
      expect(statuses.every((status) => status === 200)).toBe(true);
    } finally {
      agent.destroy();
    }
  });
});

describe('timeouts', () => {
  it('answers 408 and closes a connection whose request body stops arriving', async () => {
    const server = await start({ headersTimeoutMs: 300, requestTimeoutMs: 600 });
    const { socket, closed } = await idleSocket(server.port, '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    socket.write(`POST /executions?identifier=slow&api-version=2025-10-02-preview HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"code":`);
    expect(await within(closed, 3000)).not.toBe('timeout');
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });

  it('closes an idle keep-alive connection after the keep-alive timeout', async () => {
    const server = await start({ keepAliveTimeoutMs: 300 });
    const { socket, closed } = await idleSocket(server.port, '127.0.0.1');
    socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    const ms = await within(closed, 3000);
    expect(ms).not.toBe('timeout');
    expect(ms).toBeGreaterThanOrEqual(250);
  });
});

describe('request bodies on the wire', () => {
  it('answers a large body declared on an operation that takes none with 413, and closes the connection without reading it', async () => {
    const server = await start({});
    const { socket, closed } = await idleSocket(server.port, '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    socket.write(`GET /listSessions?api-version=2025-02-02-preview HTTP/1.1\r\nHost: x\r\nContent-Length: ${1024 ** 3}\r\n\r\n`);
    socket.write(Buffer.alloc(64 * 1024));
    expect(await within(closed, 3000)).not.toBe('timeout');
    expect(answer).toMatch(/^HTTP\/1\.1 413/);
    expect(answer.toLowerCase()).toContain('connection: close');
    expect(answer).toContain('"code":"PayloadTooLarge"');
  });
});

describe('clientKey', () => {
  it('counts IPv4 (also mapped) by address and IPv6 by /64', () => {
    expect(clientKey('127.0.0.2')).toBe('127.0.0.2');
    expect(clientKey('::ffff:10.1.2.3')).toBe('10.1.2.3');
    expect(clientKey('2001:db8:0:1:aaaa::1')).toBe(clientKey('2001:0db8:0000:0001:ffff:ffff:ffff:ffff'));
    expect(clientKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientKey('2001:db8:0:2::1')).not.toBe(clientKey('2001:db8:0:1::1'));
    expect(clientKey(undefined)).toBe('unknown');
  });
});
