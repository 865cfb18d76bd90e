/**
 * A loopback HTTP server that answers from a script, one reply per request, and records what it
 * got. A request beyond the script gets HTTP 599, so a test that sends too much fails loudly.
 */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  url: URL;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** performance.now() when the request arrived. */
  at: number;
}

export interface JsonReply {
  status: number;
  headers?: Record<string, string>;
  json?: unknown;
  body?: string | Uint8Array;
}

/**
 * `reset` destroys the socket without answering; `hang` never answers; `cut` sends a 200's headers
 * and half its promised body, then destroys the socket.
 */
type Fault = 'reset' | 'hang' | 'cut';
export type Reply = JsonReply | Fault | ((request: RecordedRequest) => JsonReply | Fault);

export interface ScriptedServer {
  url: string;
  requests: RecordedRequest[];
  /** Replies still unused. */
  remaining(): number;
  close(): Promise<void>;
}

export async function startScriptedServer(script: Reply[] | ((request: RecordedRequest) => Reply)): Promise<ScriptedServer> {
  const requests: RecordedRequest[] = [];
  const queue = Array.isArray(script) ? [...script] : undefined;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        url: new URL(req.url ?? '/', 'http://127.0.0.1'),
        headers: req.headers,
        body: Buffer.concat(chunks),
        at: performance.now(),
      };
      requests.push(recorded);
      let reply: Reply | undefined = queue ? queue.shift() : (script as (request: RecordedRequest) => Reply)(recorded);
      if (typeof reply === 'function') reply = reply(recorded);
      if (reply === undefined) {
        res.writeHead(599, { 'content-type': 'text/plain' }).end(`scripted server: unexpected request ${recorded.method} ${req.url}`);
        return;
      }
      if (reply === 'reset') {
        req.socket.destroy();
        return;
      }
      if (reply === 'hang') return;
      if (reply === 'cut') {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '64' });
        res.write('{"value": [', () => req.socket.destroy());
        return;
      }
      const body = reply.json !== undefined ? JSON.stringify(reply.json) : (reply.body ?? '');
      const headers = { ...(reply.json !== undefined ? { 'content-type': 'application/json; charset=utf-8' } : {}), ...reply.headers };
      res.writeHead(reply.status, headers).end(body);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/subscriptions/sub/resourceGroups/rg/sessionPools/pool`,
    requests,
    remaining: () => queue?.length ?? 0,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A gen-1 success body, as Azure sends it. */
export function gen1Result(fields: { status?: string; stdout?: string; stderr?: string; result?: unknown; images?: unknown }): JsonReply {
  return {
    status: 200,
    json: { $id: '1', properties: { $id: '2', status: 'Success', stdout: '', stderr: '', result: '', executionTimeInMilliseconds: 5, ...fields } },
  };
}

/** A gen-2 execution body. */
export function gen2Result(fields: { status?: string; stdout?: string; stderr?: string; executionResult?: unknown; images?: unknown; id?: string; error?: unknown }): JsonReply {
  const { status = 'Succeeded', id = 'exec-1', error, ...result } = fields;
  return {
    status: 200,
    json: {
      id,
      identifier: 's',
      executionType: 'Synchronous',
      status,
      result: { stdout: '', stderr: '', executionResult: '', executionTimeInMilliseconds: 5, ...result },
      ...(error !== undefined && { error }),
    },
  };
}
