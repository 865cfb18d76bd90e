/**
 * One request over Node's built-in http/https, for a process that sends only a few (a CLI
 * command): they are part of Node and cost nothing to load, where undici's agents cost tens of
 * milliseconds before the first byte leaves. Connections are reused through Node's global
 * keep-alive agents, which never pipeline, so an execution never queues behind another request.
 */
import type { IncomingHttpHeaders } from 'node:http';

/** One request with a whole body, as every exchange takes it (this one, and an injected HttpExchange). */
export interface ExchangeRequest {
  method: string;
  headers: Record<string, string>;
  body?: string;
  signal: AbortSignal;
}

export interface NodeHttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  bytes: Uint8Array;
}

/**
 * Sends the request and reads the whole answer. A connection cut before the answer is complete
 * rejects with the socket's error (ECONNRESET…); an abort rejects with Node's AbortError.
 */
export function nodeHttpExchange(url: string, request: ExchangeRequest): Promise<NodeHttpResponse> {
  // Not `import('node:http')`: an ES module namespace reads every export, and node:http's
  // WebSocket getters load Node's own copy of undici (~20 ms), which this module exists to avoid.
  const { request: send } = url.startsWith('https:') ? process.getBuiltinModule('node:https') : process.getBuiltinModule('node:http');
  const headers = request.body === undefined ? request.headers : { ...request.headers, 'content-length': String(Buffer.byteLength(request.body)) };
  return new Promise((resolve, reject) => {
    const outgoing = send(url, { method: request.method, headers, signal: request.signal }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, bytes: new Uint8Array(Buffer.concat(chunks)) }));
      response.on('error', reject);
      // Settles nothing after 'end' or 'error'; catches a close that neither reported.
      response.on('close', () => {
        if (!response.complete) reject(Object.assign(new Error('the connection closed before the answer was complete'), { code: 'ECONNRESET' }));
      });
    });
    outgoing.on('error', reject);
    outgoing.end(request.body);
  });
}
