/**
 * `tidepool mcp` over stdio, started the way an MCP client starts it (bin/tidepool.js as a child
 * process) and driven by the SDK's own client: tool list, every tool, images, state kept in one
 * session and not shared with a second client, cancellation, and a clean exit when the client goes away.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { OpenMeteoReplay } from '../support/open-meteo-replay.js';
import { startWeatherReplay, TODAY } from '../weather/helpers.js';
import { call, exerciseEveryTool, expectCancellation, expectToolList, poll } from './helpers.js';

const BIN = path.resolve(import.meta.dirname, '..', '..', 'bin', 'tidepool.js');
let replay: OpenMeteoReplay;
let home: string;
let client: Client;
let transport: StdioClientTransport;
const stderr: string[] = [];

beforeAll(async () => {
  replay = await startWeatherReplay();
  // A home of its own: no .env, and no running local pool of this machine is picked up.
  home = mkdtempSync(path.join(os.tmpdir(), 'tidepool-mcp-stdio-'));
  transport = new StdioClientTransport({ ...serverParameters(), stderr: 'pipe' });
  transport.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  client = new Client({ name: 'tidepool-stdio-test', version: '1.0.0' });
  await client.connect(transport);
}, 60_000);

afterAll(async () => {
  await client?.close().catch(() => undefined);
  await replay?.close();
  rmSync(home, { recursive: true, force: true });
});

describe('MCP over stdio (tidepool mcp)', () => {
  test('lists the tools', async () => {
    await expectToolList(client);
  });

  test('runs every tool in the one session, with text and image content and files', async () => {
    await exerciseEveryTool(client);
    expect(replay.unknown).toEqual([]);
  }, 300_000);

  test('cancelling a call interrupts the cell and keeps the session', async () => {
    await expectCancellation(client);
  }, 120_000);

  test('a second client gets a sandbox session of its own', async () => {
    await call(client, 'run_python', { code: 'only_here = 1' });
    const other = new Client({ name: 'tidepool-stdio-second', version: '1.0.0' });
    await other.connect(new StdioClientTransport({ ...serverParameters(), stderr: 'ignore' }));
    try {
      const result = await call(other, 'run_python', { code: 'only_here' });
      expect(result.structuredContent).toMatchObject({ status: 'failure', error: { type: 'NameError' } });
    } finally {
      await other.close();
    }
  }, 120_000);

  test('ends its sandbox session and exits when the client goes away', async () => {
    const pid = transport.pid!;
    expect(stderr.join('')).toContain('Tidepool MCP server on stdio (Sandbox-Pool)');
    const closing = client.close();
    // The SDK's client ends stdin and gives the server two seconds before a SIGTERM: the line
    // below is written only on the end-of-input path, after the sandbox session was closed.
    await poll(() => stderr.join('').includes('The MCP client closed the connection; its sandbox session has ended.'), 30_000);
    await closing;
    await poll(() => !isAlive(pid), 30_000);
  }, 60_000);
});

/** How an MCP client's configuration would start the server. */
function serverParameters() {
  return {
    command: process.execPath,
    args: [BIN, 'mcp', '--sandbox', 'pool'],
    cwd: home,
    env: { PATH: process.env.PATH ?? '', HOME: home, XDG_STATE_HOME: path.join(home, 'state'), TIDEPOOL_TODAY: TODAY, ...replay.env },
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
