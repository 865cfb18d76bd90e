/**
 * A model endpoint that can hang: a loopback proxy in front of the scripted model server. After
 * `hangNext()`, the next chat request is read and never answered, the way a stuck model server
 * behaves; when the caller gives up, `aborted` counts it. Every other request goes to the
 * scripted server unchanged (streaming included), unless `failNext()` asked for an error answer or
 * `rewriteNext()` for an edited one (e.g. a call to a tool the agent does not have, which the
 * scripted server itself refuses to script). `requests` counts what reached this endpoint, so a
 * test can tell that a stopped turn was not retried.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import type { ScriptedModelServer } from '../support/scripted-model-server.js';

export interface ModelStandIn {
  /** Base URL for OPENAI_BASE_URL. */
  url: string;
  requests: number;
  /** Hung requests the caller abandoned (closed the connection). */
  aborted: number;
  /** Hung requests waiting right now. */
  hanging: number;
  hangNext(count?: number): void;
  /** The next request is answered with this HTTP status and an OpenAI-style error carrying `message`. */
  failNext(status: number, message: string): void;
  /** The next scripted answer is passed through `edit` (the whole body, streamed or not). */
  rewriteNext(edit: (body: string) => string): void;
  close(): Promise<void>;
}

export async function startModelStandIn(scripted: ScriptedModelServer): Promise<ModelStandIn> {
  let toHang = 0;
  let failure: { status: number; message: string } | undefined;
  let rewrite: ((body: string) => string) | undefined;
  const state = { requests: 0, aborted: 0, hanging: 0 };
  const target = new URL(scripted.url);
  const server = createServer((request, response) => {
    state.requests++;
    void readBody(request).then(async (body) => {
      if (toHang > 0) {
        toHang--;
        state.hanging++;
        response.on('close', () => {
          state.hanging--;
          if (!response.writableEnded) state.aborted++;
        });
        return;
      }
      if (failure) {
        const { status, message } = failure;
        failure = undefined;
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: { message, type: 'server_error' } }));
        return;
      }
      const upstream = await fetch(`${target.origin}${request.url}`, { method: request.method, headers: { 'content-type': 'application/json' }, body });
      response.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
      if (rewrite) {
        const edit = rewrite;
        rewrite = undefined;
        response.end(edit(await upstream.text()));
      } else if (upstream.body) Readable.fromWeb(upstream.body as import('node:stream/web').ReadableStream).pipe(response);
      else response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${target.pathname}`,
    get requests() {
      return state.requests;
    },
    get aborted() {
      return state.aborted;
    },
    get hanging() {
      return state.hanging;
    },
    hangNext: (count = 1) => (toHang += count),
    failNext: (status, message) => (failure = { status, message }),
    rewriteNext: (edit) => (rewrite = edit),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
