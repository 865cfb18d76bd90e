/**
 * How failures look outside the happy path: a failing model is one log line (the stack only at
 * debug level) and nothing on stderr from the SDK; a call to a tool the agent does not have is a
 * failed card without a backend badge; a /v1 answer names the tools that failed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ToolCallView } from '../../src/agent/types.js';
import { logFailure } from '../../src/web/log-failure.js';
import { startWebServer, type RunningWebServer } from '../../src/web/server.js';
import { startScriptedModelServer, type ScriptedModelServer } from '../support/scripted-model-server.js';
import { readSse, WebClient } from './helpers.js';
import { startModelStandIn, type ModelStandIn } from './model-stand-in.js';

describe('failures outside the happy path', () => {
  let scripted: ScriptedModelServer;
  let model: ModelStandIn;
  let dir: string;
  const servers: RunningWebServer[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'tidepool-errors-'));
    scripted = await startScriptedModelServer();
    model = await startModelStandIn(scripted);
  });
  afterEach(() => vi.restoreAllMocks());
  afterAll(async () => {
    for (const server of servers) await server.close();
    await model?.close();
    await scripted?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A server whose log lines (pino JSON) are collected. */
  const start = async (level: string) => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    const server = await startWebServer({
      port: 0,
      dbPath: path.join(dir, `${level}.sqlite`),
      env: { OPENAI_BASE_URL: model.url, OPENAI_MODEL: 'scripted' },
      allowUnsandboxedLocal: true,
      logger: pino({ level }, sink),
    });
    servers.push(server);
    const client = new WebClient(server.url);
    await client.login(server.token);
    const { conversation } = await client.json<{ conversation: { id: string } }>('/api/conversations', { method: 'POST', json: { agentId: 'travel-local' } });
    return { server, client, conversationId: conversation.id, lines };
  };

  it('logs a failing model as one line without a stack, and lets nothing else reach stderr', async () => {
    const stderr = vi.spyOn(console, 'error');
    const { client, conversationId, lines } = await start('warn');
    model.failNext(400, 'The deployment is over its quota.');
    const events = await readSse(await client.request(`/api/conversations/${conversationId}/messages`, { method: 'POST', json: { text: 'Hello' } }));
    const error = JSON.parse(events.find((e) => e.event === 'error')!.data) as { message: string };
    expect(error.message).toContain('The deployment is over its quota.');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 50, msg: 'model call failed', conversation: conversationId, error: expect.stringContaining('over its quota') });
    expect(JSON.stringify(lines[0])).not.toMatch(/\n\s+at /);
    expect(stderr).not.toHaveBeenCalled();
  }, 60_000);

  it('logs a thrown failure as one line, and its stack as a second line only at debug level', () => {
    const capture = (level: string) => {
      const lines: Record<string, unknown>[] = [];
      const sink = new Writable({
        write(chunk: Buffer, _encoding, done) {
          lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
          done();
        },
      });
      logFailure(pino({ level }, sink), 'turn failed', new Error('The pool went away.'), { conversation: 'c1' });
      return lines;
    };
    const quiet = capture('warn');
    expect(quiet).toEqual([expect.objectContaining({ level: 50, msg: 'turn failed', error: 'The pool went away.', conversation: 'c1' })]);
    expect(quiet[0]).not.toHaveProperty('err');
    const verbose = capture('debug');
    expect(verbose.map((line) => line.level)).toEqual([50, 20]);
    expect((verbose[1]!.err as { stack: string }).stack).toMatch(/^Error: The pool went away\.\n\s+at /);
  });

  it('shows a call to a tool the agent does not have as failed, without a backend badge', async () => {
    const { client, conversationId } = await start('warn');
    scripted.push(
      { expectUser: 'Book', reply: { toolCalls: [{ name: 'run_python', arguments: { code: 'print(1)' } }] } },
      { expectToolResultText: /book_flight/, reply: { text: 'I cannot book flights.' } },
    );
    model.rewriteNext((body) => body.replaceAll('"name":"run_python"', '"name":"book_flight"'));
    const events = await readSse(await client.request(`/api/conversations/${conversationId}/messages`, { method: 'POST', json: { text: 'Book me a flight' } }));
    const end = JSON.parse(events.find((e) => e.event === 'tool-end')!.data) as { call: ToolCallView };
    expect(end.call).toMatchObject({ toolName: 'book_flight', status: 'error', text: 'There is no tool called book_flight; the tools are research_weather, chart_weather, run_python, run_javascript, run_shell.' });
    expect(end.call.sandboxType).toBeUndefined();
    expect(scripted.failures).toEqual([]);
  }, 60_000);

  it('names the failed tools in a non-streaming /v1 answer', async () => {
    const { server } = await start('warn');
    scripted.push(
      { expectUser: 'Divide', reply: { toolCalls: [{ name: 'run_python', arguments: { code: '1 / 0' } }] } },
      { expectToolResultText: /ZeroDivisionError/, reply: { text: 'That cannot be done.' } },
    );
    const response = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${server.token}` },
      body: JSON.stringify({ model: 'travel-local', messages: [{ role: 'user', content: 'Divide one by zero' }] }),
    });
    const body = (await response.json()) as { choices: { message: { content: string } }[]; tidepool: { failed_tools: string[] } };
    expect(body.choices[0]!.message.content).toBe('That cannot be done.');
    expect(body.tidepool.failed_tools).toEqual(['run_python']);
    expect(scripted.failures).toEqual([]);
  }, 60_000);
});
