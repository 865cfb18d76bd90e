import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, streamText } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebServer, type RunningWebServer } from '../../src/web/server.js';
import { startScriptedModelServer, type ScriptedModelServer } from '../support/scripted-model-server.js';
import { readSse } from './helpers.js';

describe('OpenAI-compatible /v1 API', () => {
  let model: ScriptedModelServer;
  let server: RunningWebServer;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'tidepool-v1-'));
    model = await startScriptedModelServer();
    server = await startWebServer({ port: 0, dbPath: path.join(dir, 'db.sqlite'), env: { OPENAI_BASE_URL: model.url, OPENAI_MODEL: 'scripted' }, allowUnsandboxedLocal: true });
  });
  afterAll(async () => {
    await server?.close();
    await model?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const post = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${server.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${server.token}`, ...headers }, body: JSON.stringify(body) });

  it('lists every agent as a model, with availability', async () => {
    const body = (await (await fetch(`${server.url}/v1/models`, { headers: { authorization: `Bearer ${server.token}` } })).json()) as { object: string; data: { id: string; available: boolean; reason?: string }[] };
    expect(body.object).toBe('list');
    expect(body.data.map((m) => m.id)).toEqual(['travel-local', 'travel-pool', 'travel-aca', 'travel-e2b', 'travel-daytona']);
    expect(body.data.find((m) => m.id === 'travel-local')?.available).toBe(true);
    expect(body.data.find((m) => m.id === 'travel-e2b')).toMatchObject({ available: false, reason: expect.stringContaining('E2B_API_KEY') });
  });

  it('answers without streaming, running the scripted tool call in the sandbox', async () => {
    model.push(
      { expectUser: 'squares', reply: { toolCalls: [{ name: 'run_python', arguments: { code: 'sum(i*i for i in range(10))' } }] } },
      { expectToolResultText: 'result: 285', reply: { text: 'The sum of the first ten squares is 285.' } },
    );
    const response = await post({ model: 'travel-local', messages: [{ role: 'system', content: 'ignored' }, { role: 'user', content: 'Sum the squares below 10' }] });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { object: string; model: string; choices: { message: { role: string; content: string }; finish_reason: string }[] };
    expect(body).toMatchObject({ object: 'chat.completion', model: 'travel-local' });
    expect(body.choices[0]).toMatchObject({ message: { role: 'assistant', content: 'The sum of the first ten squares is 285.' }, finish_reason: 'stop' });
    expect(model.failures).toEqual([]);
  });

  it('streams chat.completion.chunk events ending in [DONE]', async () => {
    model.push({ expectUser: 'Hello there', reply: { text: 'Hi! Where would you like to travel?' } });
    const response = await post({ model: 'travel-local', stream: true, messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello there' }] }] });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const events = await readSse(response);
    expect(events.at(-1)?.data).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.data) as { object: string; choices: { delta: { role?: string; content?: string }; finish_reason: string | null }[] });
    expect(chunks.every((c) => c.object === 'chat.completion.chunk')).toBe(true);
    expect(chunks[0]!.choices[0]!.delta.role).toBe('assistant');
    const text = chunks.map((c) => c.choices[0]!.delta.content ?? '').join('');
    expect(text).toBe('Hi! Where would you like to travel?');
    expect(chunks.filter((c) => c.choices[0]!.delta.content).length).toBeGreaterThan(1);
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe('stop');
    expect(model.failures).toEqual([]);
  });

  it('passes the client\'s history to the model and keeps a session with X-Tidepool-Session', async () => {
    const session = crypto.randomUUID();
    model.push(
      { reply: { toolCalls: [{ name: 'run_python', arguments: { code: 'budget = 1200' } }] } },
      { reply: { text: 'Noted: 1200.' } },
      { expectUser: 'how much', reply: { toolCalls: [{ name: 'run_python', arguments: { code: 'budget * 2' } }] } },
      { expectToolResultText: 'result: 2400', reply: { text: 'Double is 2400.' } },
    );
    await (await post({ model: 'travel-local', messages: [{ role: 'user', content: 'My budget is 1200' }] }, { 'x-tidepool-session': session })).json();
    const response = await post(
      {
        model: 'travel-local',
        messages: [
          { role: 'user', content: 'My budget is 1200' },
          { role: 'assistant', content: 'Noted: 1200.' },
          { role: 'user', content: 'how much is double?' },
        ],
      },
      { 'x-tidepool-session': session },
    );
    const body = (await response.json()) as { choices: { message: { content: string } }[] };
    expect(body.choices[0]!.message.content).toBe('Double is 2400.');
    const sent = model.requests.at(-2)!.messages.map((m) => `${m.role}:${typeof m.content === 'string' ? m.content : ''}`);
    expect(sent.slice(1)).toEqual(['user:My budget is 1200', 'assistant:Noted: 1200.', 'user:how much is double?']);
    expect(model.failures).toEqual([]);
  });

  it('answers errors in OpenAI\'s shape: unknown model, unavailable agent, bad body', async () => {
    const unknown = await post({ model: 'gpt-4', messages: [{ role: 'user', content: 'hi' }] });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: 'model_not_found', message: expect.stringContaining('travel-pool') } });
    const unavailable = await post({ model: 'travel-daytona', messages: [{ role: 'user', content: 'hi' }] });
    expect(unavailable.status).toBe(503);
    expect(await unavailable.json()).toMatchObject({ error: { code: 'agent_unavailable', message: expect.stringContaining('DAYTONA_API_KEY') } });
    const bad = await post({ model: 'travel-local' });
    expect(bad.status).toBe(400);
    const badSession = await post({ model: 'travel-local', messages: [{ role: 'user', content: 'hi' }] }, { 'x-tidepool-session': '../x' });
    expect(badSession.status).toBe(400);
    expect(model.failures).toEqual([]);
  });

  it('works with an off-the-shelf OpenAI client (the AI SDK\'s chat provider), streaming and not', async () => {
    const client = createOpenAI({ baseURL: `${server.url}/v1`, apiKey: server.token }).chat('travel-local');
    model.push({ expectUser: 'Say hi', reply: { text: 'Hi from the travel agent.' } });
    expect((await generateText({ model: client, prompt: 'Say hi' })).text).toBe('Hi from the travel agent.');
    model.push({ expectUser: 'Stream hi', reply: { text: 'Streaming hello from the travel agent.' } });
    let streamed = '';
    for await (const delta of streamText({ model: client, prompt: 'Stream hi' }).textStream) streamed += delta;
    expect(streamed).toBe('Streaming hello from the travel agent.');
    expect(model.failures).toEqual([]);
  });
});
