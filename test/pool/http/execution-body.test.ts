/**
 * Execution bodies over a real socket, both ways a client can send them: with a Content-Length
 * (read in one call, the HTTP parser ending the body there) and chunked without one (read chunk
 * by chunk and counted). Either way the body runs, bad JSON is the client's 400 and an oversized
 * body is refused.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPoolServer, type RunningPoolServer } from '../../../src/pool/index.js';
import { MAX_EXECUTION_BODY_BYTES } from '../../../src/pool/http/routes/executions.js';
import { resolvePoolSettings } from '../../../src/pool/settings.js';
import { gen1Exec, V1 } from './app-harness.js';
import { FakeSessionManager } from './fake-session-manager.js';

type Outcome = { kind: 'answered'; status: number; body: string; errorCode: string | undefined } | { kind: 'closed'; code: string };

/** Sends `body` in pieces; with `declareLength` the request carries Content-Length, otherwise it is chunked. */
function send(url: string, pieces: Buffer[], declareLength: boolean): Promise<Outcome> {
  const length = pieces.reduce((sum, piece) => sum + piece.length, 0);
  const headers: Record<string, string | number> = { 'content-type': 'application/json' };
  if (declareLength) headers['content-length'] = length;
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: 'POST', headers, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ kind: 'answered', status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), errorCode: response.headers['x-ms-error-code'] as string | undefined }),
      );
      response.on('error', reject);
    });
    request.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') resolve({ kind: 'closed', code: error.code });
      else reject(error);
    });
    const write = (index: number): void => {
      if (index === pieces.length) {
        request.end();
        return;
      }
      // Waiting for each piece to drain keeps a big body from piling up in memory here.
      if (request.write(pieces[index])) write(index + 1);
      else request.once('drain', () => write(index + 1));
    };
    write(0);
  });
}

function refused(outcome: Outcome): void {
  if (outcome.kind === 'answered') expect(outcome).toMatchObject({ status: 413, errorCode: 'PayloadTooLarge' });
  else expect(['ECONNRESET', 'EPIPE']).toContain(outcome.code);
}

describe('execution bodies over a socket', () => {
  let server: RunningPoolServer;
  const url = (identifier: string) => `${server.url}/code/execute?identifier=${identifier}&${V1}`;

  beforeAll(async () => {
    server = await startPoolServer({ port: 0, sessionManager: new FakeSessionManager(resolvePoolSettings({ readySessions: 0 }, {})), env: {} });
  });
  afterAll(async () => {
    await server.close();
  });

  it.each([
    ['with a Content-Length', true],
    ['chunked, without one', false],
  ])('runs a body sent %s, even split mid-character', async (_label, declareLength) => {
    const text = Buffer.from(JSON.stringify(gen1Exec("'é' * 3")));
    const split = text.indexOf(Buffer.from('é')) + 1;
    const outcome = await send(url(`body-${String(declareLength)}`), [text.subarray(0, split), text.subarray(split)], declareLength);
    expect(outcome).toMatchObject({ kind: 'answered', status: 200 });
    expect((JSON.parse((outcome as { body: string }).body) as { properties: { result: string } }).properties.result).toBe('ééé');
  });

  it.each([
    ['with a Content-Length', true],
    ['chunked, without one', false],
  ])('answers 400 to invalid JSON sent %s', async (_label, declareLength) => {
    const outcome = await send(url('bad-json'), [Buffer.from('{"properties": {"code": ')], declareLength);
    expect(outcome).toMatchObject({ kind: 'answered', status: 400, errorCode: 'SessionRequestValidationFailed' });
  });

  it.each([
    ['declared by its Content-Length', true],
    ['counted as it streams in, without a length', false],
  ])('refuses a body over the limit %s', async (_label, declareLength) => {
    const piece = Buffer.alloc(1024 * 1024, 0x20);
    const pieces = Array.from({ length: Math.ceil(MAX_EXECUTION_BODY_BYTES / piece.length) + 1 }, () => piece);
    refused(await send(url('too-big'), pieces, declareLength));
    // The server still answers afterwards.
    expect(await send(url('after-too-big'), [Buffer.from(JSON.stringify(gen1Exec('1')))], true)).toMatchObject({ kind: 'answered', status: 200 });
  });
});
