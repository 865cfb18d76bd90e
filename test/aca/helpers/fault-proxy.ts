/**
 * A loopback HTTP proxy in front of a real pool that injects faults, one planned action per
 * request (then passes everything through). It records what reached it and what it forwarded,
 * so tests can tell whether an execution ran.
 */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Fault =
  | 'pass'
  /** Answer 429 with this Retry-After value, without forwarding. */
  | { status: 429 | 503 | 502 | 504; retryAfter?: string }
  /** Cut the connection before forwarding: the pool never sees the request. */
  | 'reset-before'
  /** Forward, let the pool answer, then cut the client's connection: the code ran. */
  | 'reset-after'
  /** Forward, then hold the answer back this many ms. */
  | { delayMs: number };

export interface FaultProxy {
  url: string;
  /** Faults for the next requests, in order; when empty, requests pass through. */
  plan(...faults: Fault[]): void;
  /** Drops unused faults and the records. */
  reset(): void;
  /** Requests that reached the proxy / were forwarded to the pool, as "METHOD /path". */
  received: string[];
  forwarded: string[];
  close(): Promise<void>;
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  const faults: Fault[] = [];
  const received: string[] = [];
  const forwarded: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const label = `${req.method} ${new URL(req.url ?? '/', 'http://x').pathname}`;
      received.push(label);
      const fault = faults.shift() ?? 'pass';
      if (fault === 'reset-before') {
        req.socket.destroy();
        return;
      }
      if (typeof fault === 'object' && 'status' in fault) {
        res.writeHead(fault.status, { 'content-type': 'application/json', ...(fault.retryAfter ? { 'retry-after': fault.retryAfter } : {}) });
        res.end(JSON.stringify({ error: { code: 'InjectedFault', message: `proxy injected ${fault.status}` } }));
        return;
      }
      forwarded.push(label);
      const outgoing = http.request(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
        (answer) => {
          const body: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => body.push(chunk));
          answer.on('end', () => {
            if (fault === 'reset-after') {
              req.socket.destroy();
              return;
            }
            const send = () => {
              if (res.destroyed || req.socket.destroyed) return;
              res.writeHead(answer.statusCode ?? 502, answer.headers);
              res.end(Buffer.concat(body));
            };
            if (typeof fault === 'object' && 'delayMs' in fault) setTimeout(send, fault.delayMs);
            else send();
          });
        },
      );
      outgoing.on('error', () => req.socket.destroy());
      outgoing.end(Buffer.concat(chunks));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    plan: (...planned) => faults.push(...planned),
    reset: () => {
      faults.length = 0;
      received.length = 0;
      forwarded.length = 0;
    },
    received,
    forwarded,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
