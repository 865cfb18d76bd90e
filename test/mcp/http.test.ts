/**
 * The MCP server over Streamable HTTP, driven by the SDK's own client: every tool, images, one
 * sandbox session per MCP session (state kept within, not across), progress, cancellation, the key.
 */
import http from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { LifecycleRouter } from '../../src/sandbox/lifecycle-router.js';
import { startMcpHttpServer, type RunningMcpHttpServer } from '../../src/mcp/index.js';
import { createSandbox } from '../../src/sandbox/factory.js';
import type { Sandbox } from '../../src/sandbox/types.js';
import type { OpenMeteoReplay } from '../support/open-meteo-replay.js';
import { startWeatherReplay, TODAY } from '../weather/helpers.js';
import { call, exerciseEveryTool, expectCancellation, expectToolList, poll, textOf } from './helpers.js';

let replay: OpenMeteoReplay;
let sandbox: Sandbox;
let server: RunningMcpHttpServer;
const clients: Client[] = [];
const closedSessions: string[] = [];

async function connect(url = server.url, headers: Record<string, string> = {}): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const client = new Client({ name: 'tidepool-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } });
  await client.connect(transport);
  clients.push(client);
  return { client, transport };
}

beforeAll(async () => {
  replay = await startWeatherReplay();
  const router = new LifecycleRouter();
  sandbox = createSandbox('pool', {
    env: {},
    onLifecycle: (event) => {
      if (event.phase === 'closed') closedSessions.push(event.identifier);
      router.dispatch(event);
    },
    pool: { pool: { egressAllow: replay.egressAllow, readySessions: 2 } } });
  server = await startMcpHttpServer({
    sandbox,
    port: 0,
    weather: { today: TODAY, openMeteo: replay.options() },
    progressIntervalMs: 300,
    subscribeLifecycle: (identifier, listener) => router.subscribe(identifier, listener),
  });
}, 120_000);

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close().catch(() => undefined)));
  await server?.close();
  await sandbox?.close();
  await replay?.close();
});

describe('MCP over Streamable HTTP', () => {
  test('lists the six tools with input and output schemas and annotations', async () => {
    const { client } = await connect();
    await expectToolList(client);
  });

  test('runs every tool in one session, with text and image content and files', async () => {
    const { client } = await connect();
    await exerciseEveryTool(client);
    expect(replay.unknown).toEqual([]);
  }, 300_000);

  test('two MCP sessions have two sandbox sessions; ending one ends its sandbox session', async () => {
    const first = await connect();
    const second = await connect();
    await call(first.client, 'run_python', { code: 'secret = "first"' });
    const other = await call(second.client, 'run_python', { code: 'secret' });
    expect(other.structuredContent).toMatchObject({ status: 'failure', error: { type: 'NameError' } });
    await call(second.client, 'upload_file', { name: 'only-second.txt', content: 'x' });
    const firstFiles = await call(first.client, 'list_files');
    expect(JSON.stringify(firstFiles.structuredContent)).not.toContain('only-second.txt');

    const before = server.sessionCount();
    const closedBefore = closedSessions.length;
    await first.transport.terminateSession();
    expect(server.sessionCount()).toBe(before - 1);
    await poll(() => closedSessions.length === closedBefore + 1, 30_000);
    const again = await call(second.client, 'run_python', { code: '"second is alive"' });
    expect(again.structuredContent).toMatchObject({ result: 'second is alive' });
  }, 120_000);

  test('reports progress while a long cell runs', async () => {
    const { client } = await connect();
    const messages: string[] = [];
    const result = await call(client, 'run_python', { code: 'import time\ntime.sleep(2)\n"done"' }, { onprogress: (update) => void messages.push(update.message ?? '') });
    expect(result.structuredContent).toMatchObject({ result: 'done' });
    expect(messages).toContain('running');
    expect(messages.some((message) => /^running for \d+ s$/.test(message))).toBe(true);
  }, 120_000);

  test('cancelling a call interrupts the cell and keeps the session', async () => {
    const { client } = await connect();
    await expectCancellation(client);
  }, 120_000);

  test('refuses requests without a session, to other paths, and from a foreign Host', async () => {
    const base = new URL(server.url);
    const noSession = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }) });
    expect(noSession.status).toBe(400);
    expect(await noSession.text()).toContain('initialize');
    const unknown = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': 'nope' }, body: '{}' });
    expect(unknown.status).toBe(404);
    const elsewhere = await fetch(new URL('/other', base));
    expect(elsewhere.status).toBe(404);
    // A page served from another name that resolves to 127.0.0.1 (DNS rebinding) is turned away.
    const initialize = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'page', version: '1' } } });
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const request = http.request(server.url, { method: 'POST', headers: { host: `attacker.example:${base.port}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' } }, (response) => {
        response.resume();
        resolve(response.statusCode);
      });
      request.on('error', reject);
      request.end(initialize);
    });
    expect(status).toBe(403);
  });
});

describe('MCP over HTTP with a key', () => {
  test('needs the bearer key, and a key to bind beyond loopback', async () => {
    const key = 'k'.repeat(32);
    const keyed = await startMcpHttpServer({ sandbox, port: 0, key });
    try {
      await expect(connect(keyed.url)).rejects.toThrow();
      const { client } = await connect(keyed.url, { authorization: `Bearer ${key}` });
      const result = await call(client, 'run_python', { code: '"with key"' });
      expect(textOf(result)).toContain('with key');
    } finally {
      await keyed.close();
    }
    await expect(startMcpHttpServer({ sandbox, host: '0.0.0.0', port: 0 })).rejects.toThrow(/TIDEPOOL_MCP_KEY/);
    await expect(startMcpHttpServer({ sandbox, port: 0, key: 'short' })).rejects.toThrow(/at least 16/);
  }, 60_000);
});
