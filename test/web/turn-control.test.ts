/**
 * Turns that end early and messages that are refused, through the chat API and /v1 on a real
 * port: Stop during a hung model, the model timeout, a /v1 caller that disconnects (with the model
 * hung, and with a sandbox cell running), and the input limits of both entry points. The Local
 * agent keeps it quick; a loopback stand-in plays a model server that never answers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_HISTORY_MESSAGES, MAX_MESSAGE_CHARS } from '../../src/agent/input-limits.js';
import type { DisplayMessage } from '../../src/agent/types.js';
import type { LifecycleEvent } from '../../src/sandbox/lifecycle.js';
import { startWebServer, type RunningWebServer } from '../../src/web/server.js';
import { startScriptedModelServer, type ScriptedModelServer } from '../support/scripted-model-server.js';
import { readSse, WebClient } from './helpers.js';
import { startModelStandIn, type ModelStandIn } from './model-stand-in.js';

describe('turns that end early, and input limits', () => {
  let scripted: ScriptedModelServer;
  let model: ModelStandIn;
  let server: RunningWebServer;
  let client: WebClient;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'tidepool-turns-'));
    scripted = await startScriptedModelServer();
    model = await startModelStandIn(scripted);
    server = await startWebServer({ port: 0, dbPath: path.join(dir, 'db.sqlite'), env: { OPENAI_BASE_URL: model.url, OPENAI_MODEL: 'scripted' }, allowUnsandboxedLocal: true });
    client = new WebClient(server.url);
    await client.login(server.token);
  });
  afterAll(async () => {
    await server?.close();
    await model?.close();
    await scripted?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const newConversation = async () => (await client.json<{ conversation: { id: string } }>('/api/conversations', { method: 'POST', json: { agentId: 'travel-local' } })).conversation.id;
  const v1 = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${server.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${server.token}`, ...headers }, body: JSON.stringify(body) });

  it('Stop ends a turn whose model hangs; the stopped turn is stored as stopped and the model request was aborted, not retried', async () => {
    const id = await newConversation();
    model.hangNext();
    const before = model.requests;
    const response = await client.request(`/api/conversations/${id}/messages`, { method: 'POST', json: { text: 'Hello?' } });
    expect(response.status).toBe(200);
    await expect.poll(() => model.hanging, { timeout: 30_000 }).toBe(1);
    const stop = await client.request(`/api/conversations/${id}/stop`, { method: 'POST' });
    expect(stop.status).toBe(202);
    const events = await readSse(response);
    expect(events.map((e) => e.event)).toEqual(['accepted', 'stopped', 'done']);
    expect(JSON.parse(events[1]!.data)).toEqual({ type: 'stopped', reason: 'Stopped by you.' });
    await expect.poll(() => model.aborted, { timeout: 30_000 }).toBe(1);
    expect(model.requests - before).toBe(1);
    const { messages } = await client.json<{ messages: DisplayMessage[] }>(`/api/conversations/${id}`);
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant']);
    expect(messages[1]!.parts).toEqual([{ type: 'notice', level: 'stopped', text: 'Stopped by you.' }]);
    // Nothing is running any more.
    expect((await client.request(`/api/conversations/${id}/stop`, { method: 'POST' })).status).toBe(409);
  }, 60_000);

  it('Stop during a running cell interrupts the cell and marks the call as stopped, keeping the turn so far', async () => {
    const id = await newConversation();
    const events: LifecycleEvent[] = [];
    const unsubscribe = server.agents.get('travel-local').lifecycle.subscribe(id, (event) => events.push(event));
    try {
      scripted.push({ expectUser: 'Wait', reply: { toolCalls: [{ name: 'run_python', arguments: { code: 'import time\ntime.sleep(600)' } }] } });
      const { requests } = model;
      const response = await client.request(`/api/conversations/${id}/messages`, { method: 'POST', json: { text: 'Wait ten minutes' } });
      // The first cell is the session check; the second is the sleep.
      await expect.poll(() => events.filter((event) => event.phase === 'executing').length, { timeout: 60_000 }).toBe(2);
      expect((await client.request(`/api/conversations/${id}/stop`, { method: 'POST' })).status).toBe(202);
      const sse = await readSse(response);
      const end = JSON.parse(sse.find((e) => e.event === 'tool-end')!.data) as { call: { status: string; text: string } };
      expect(end.call).toMatchObject({ status: 'error', text: 'Stopped before it finished: Stopped by you.' });
      expect(sse.at(-2)?.event).toBe('stopped');
      await expect.poll(() => events.filter((event) => event.phase === 'finished' || event.phase === 'failed').length, { timeout: 60_000 }).toBe(2);
      expect(model.requests).toBe(requests + 1);
      const { messages } = await client.json<{ messages: DisplayMessage[] }>(`/api/conversations/${id}`);
      expect(messages[1]!.parts.map((part) => part.type)).toEqual(['tool', 'notice']);
      expect(scripted.failures).toEqual([]);
    } finally {
      unsubscribe();
    }
  }, 120_000);

  it('stops a turn whose model stays silent past the model timeout, and says so', async () => {
    const quick = await startWebServer({ port: 0, dbPath: path.join(dir, 'quick.sqlite'), env: { OPENAI_BASE_URL: model.url, OPENAI_MODEL: 'scripted', TIDEPOOL_MODEL_TIMEOUT_MS: '1500' }, allowUnsandboxedLocal: true });
    try {
      const quickClient = new WebClient(quick.url);
      await quickClient.login(quick.token);
      const { conversation } = await quickClient.json<{ conversation: { id: string } }>('/api/conversations', { method: 'POST', json: { agentId: 'travel-local' } });
      model.hangNext();
      const aborted = model.aborted;
      const events = await readSse(await quickClient.request(`/api/conversations/${conversation.id}/messages`, { method: 'POST', json: { text: 'Anyone there?' } }));
      const stopped = JSON.parse(events.find((e) => e.event === 'stopped')!.data) as { reason: string };
      expect(stopped.reason).toMatch(/^The model did not answer within 2 s, so the turn was stopped\..*TIDEPOOL_MODEL_TIMEOUT_MS/);
      await expect.poll(() => model.aborted, { timeout: 30_000 }).toBe(aborted + 1);
    } finally {
      await quick.close();
    }
  }, 60_000);

  it('refuses a bad model timeout setting, naming the variable', async () => {
    await expect(startWebServer({ port: 0, dbPath: path.join(dir, 'bad.sqlite'), env: { TIDEPOOL_MODEL_TIMEOUT_MS: 'soon' } })).rejects.toThrow(/^TIDEPOOL_MODEL_TIMEOUT_MS \/ option modelTimeoutMs: must be a whole number from 1000 to 3600000 \(milliseconds; default 180000\), got "soon"/);
  });

  /**
   * A request on a connection of its own: the server answers 413 before reading an oversize body
   * and closes the connection, which must not be one a later request would reuse.
   */
  const postOnOwnSocket = (route: string, body: string, headers: Record<string, string>) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = httpRequest(`${server.url}${route}`, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers } }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      });
      // The server may close while the rest of the body is still being written; the answer is what counts.
      request.on('error', (error) => (request.writableFinished ? undefined : reject(error)));
      request.end(body);
    });

  /** Sends a /v1 request over a socket the test can cut, as a caller that gives up would. */
  const v1Droppable = (body: unknown, headers: Record<string, string> = {}) => {
    const request = httpRequest(`${server.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${server.token}`, ...headers } });
    request.on('error', () => undefined);
    request.end(JSON.stringify(body));
    return request;
  };

  it('a non-streaming /v1 caller that disconnects ends the turn: the hung model request is aborted and not retried', async () => {
    model.hangNext();
    const { requests, aborted } = model;
    const request = v1Droppable({ model: 'travel-local', messages: [{ role: 'user', content: 'Are you stuck?' }] });
    await expect.poll(() => model.hanging, { timeout: 30_000 }).toBe(1);
    request.destroy();
    await expect.poll(() => model.aborted, { timeout: 30_000 }).toBe(aborted + 1);
    // The next request is answered by the next scripted step; a retry would have reached the model first.
    scripted.push({ expectUser: 'After the drop', reply: { text: 'All good.' } });
    const next = await v1({ model: 'travel-local', messages: [{ role: 'user', content: 'After the drop' }] });
    expect(((await next.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content).toBe('All good.');
    expect(model.requests).toBe(requests + 2);
    expect(scripted.failures).toEqual([]);
  }, 60_000);

  it('a non-streaming /v1 caller that disconnects while a cell runs: the cell is interrupted and the model is not asked again', async () => {
    const session = crypto.randomUUID();
    const events: LifecycleEvent[] = [];
    const unsubscribe = server.agents.get('travel-local').lifecycle.subscribe(session, (event) => events.push(event));
    try {
      scripted.push({ expectUser: 'Sleep', reply: { toolCalls: [{ name: 'run_python', arguments: { code: 'import time\ntime.sleep(600)' } }] } });
      const { requests } = model;
      const request = v1Droppable({ model: 'travel-local', messages: [{ role: 'user', content: 'Sleep for ten minutes' }] }, { 'x-tidepool-session': session });
      const count = (phases: string[]) => events.filter((event) => phases.includes(event.phase)).length;
      // The first cell is the session check; the second is the sleep.
      await expect.poll(() => count(['executing']), { timeout: 60_000 }).toBe(2);
      request.destroy();
      await expect.poll(() => count(['finished', 'failed']), { timeout: 60_000 }).toBe(2);
      expect(model.requests).toBe(requests + 1);
      expect(scripted.pending()).toBe(0);
      expect(scripted.failures).toEqual([]);
    } finally {
      unsubscribe();
      await server.agents.get('travel-local').sandbox?.session(session).close();
    }
  }, 120_000);

  it('refuses a chat message over the limit or empty, storing nothing, with an error that names the limit', async () => {
    const id = await newConversation();
    const long = 'x'.repeat(200 * 1024);
    const response = await client.request(`/api/conversations/${id}/messages`, { method: 'POST', json: { text: long } });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('message_rejected');
    expect(body.error.message).toBe(
      `The message is 204,800 characters; the limit is ${MAX_MESSAGE_CHARS.toLocaleString('en-US')} (${(204_800 - MAX_MESSAGE_CHARS).toLocaleString('en-US')} too many). Shorten it, or split it over several messages.`,
    );
    const empty = await client.request(`/api/conversations/${id}/messages`, { method: 'POST', json: { text: '  \n ' } });
    expect(empty.status).toBe(400);
    expect(((await empty.json()) as { error: { message: string } }).error.message).toMatch(/empty/);
    const huge = await postOnOwnSocket(`/api/conversations/${id}/messages`, JSON.stringify({ text: 'y'.repeat(3 * 1024 * 1024) }), { cookie: [...client.cookies].map(([name, value]) => `${name}=${value}`).join('; ') });
    expect(huge.status).toBe(413);
    expect((JSON.parse(huge.body) as { error: { message: string } }).error.message).toMatch(/larger than 2 MB/);
    const { messages } = await client.json<{ messages: DisplayMessage[] }>(`/api/conversations/${id}`);
    expect(messages).toEqual([]);
  });

  it('refuses /v1 requests over the length and message-count limits, and empty content', async () => {
    const error = async (response: Response) => {
      expect(response.status).toBe(400);
      return ((await response.json()) as { error: { message: string; type: string } }).error;
    };
    const { requests } = model;
    const long = await error(await v1({ model: 'travel-local', messages: [{ role: 'user', content: 'z'.repeat(200 * 1024) }] }));
    expect(long.type).toBe('invalid_request_error');
    expect(long.message).toMatch(/^The message is 204,800 characters; the limit is 20,000 \(184,800 too many\)/);
    expect((await error(await v1({ model: 'travel-local', messages: [{ role: 'user', content: '' }] }))).message).toMatch(/empty/);
    expect((await error(await v1({ model: 'travel-local', messages: [{ role: 'user', content: [{ type: 'text', text: ' ' }] }] }))).message).toMatch(/empty/);
    const many = Array.from({ length: MAX_HISTORY_MESSAGES + 1 }, (_, i) => ({ role: i % 2 === 0 ? 'user' : 'assistant', content: `message ${i}` }));
    expect((await error(await v1({ model: 'travel-local', messages: many }))).message).toMatch(/^The request has 201 messages; the limit is 200 \(1 too many\)/);
    // Refused before any model call.
    expect(model.requests).toBe(requests);
  });
});
