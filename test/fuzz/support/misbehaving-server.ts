/**
 * A loopback HTTP server that answers each request with the next of a list of misbehaviours:
 * any status with any body (a wrong envelope, truncated JSON, an HTML page, random bytes), a body
 * that trickles in slowly, a body cut short of its Content-Length, a reset, or no answer at all.
 */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Misbehaviour =
  | { kind: 'answer'; status: number; headers: Record<string, string>; body: Uint8Array }
  | { kind: 'slow'; status: number; headers: Record<string, string>; body: Uint8Array; pauseMs: number }
  | { kind: 'cut'; status: number; headers: Record<string, string>; body: Uint8Array }
  | { kind: 'reset' }
  | { kind: 'hang' };

export interface MisbehavingServer {
  url: string;
  /** The replies for the next requests, used in turn (the last one repeats). */
  script(replies: Misbehaviour[]): void;
  requests: number;
  close(): Promise<void>;
}

export async function startMisbehavingServer(): Promise<MisbehavingServer> {
  let replies: Misbehaviour[] = [{ kind: 'reset' }];
  let next = 0;
  const state = { requests: 0 };
  const server = http.createServer((req, res) => {
    req.resume();
    req.once('end', () => {
      state.requests += 1;
      const reply = replies[Math.min(next++, replies.length - 1)]!;
      switch (reply.kind) {
        case 'reset':
          req.socket.destroy();
          return;
        case 'hang':
          return;
        case 'answer':
          res.writeHead(reply.status, { 'content-length': String(reply.body.length), ...reply.headers }).end(reply.body);
          return;
        case 'slow': {
          res.writeHead(reply.status, { 'content-length': String(reply.body.length), ...reply.headers });
          const half = Math.floor(reply.body.length / 2);
          res.write(reply.body.subarray(0, half));
          const timer = setTimeout(() => res.end(reply.body.subarray(half)), reply.pauseMs);
          res.once('close', () => clearTimeout(timer));
          return;
        }
        case 'cut':
          // Promises more than it sends, then hangs up.
          res.writeHead(reply.status, { ...reply.headers, 'content-length': String(reply.body.length + 10) });
          res.write(reply.body, () => req.socket.destroy());
          return;
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/subscriptions/sub/resourceGroups/rg/sessionPools/pool`,
    script(list) {
      replies = list.length > 0 ? list : [{ kind: 'reset' }];
      next = 0;
    },
    get requests() {
      return state.requests;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
