import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DisplayMessage, ToolCallView } from '../../src/agent/types.js';
import { OWNER_COOKIE } from '../../src/web/owner.js';
import { startWebServer, type RunningWebServer } from '../../src/web/server.js';
import { startScriptedModelServer, type ScriptedModelServer } from '../support/scripted-model-server.js';
import { readSse, WebClient } from './helpers.js';

const PLOT = 'import matplotlib.pyplot as plt\nplt.plot([3, 1, 2])\nopen("notes.txt", "w").write("pack light")\nplt.show()';

describe('conversations through the web API, across a server restart', () => {
  let model: ScriptedModelServer;
  let dir: string;
  let dbPath: string;
  let server: RunningWebServer | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'tidepool-web-'));
    dbPath = path.join(dir, 'tidepool.db');
    model = await startScriptedModelServer();
  });
  afterAll(async () => {
    await server?.close();
    await model.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const start = () => startWebServer({ port: 0, dbPath, env: { OPENAI_BASE_URL: model.url, OPENAI_MODEL: 'scripted' }, allowUnsandboxedLocal: true });

  it('streams a turn, stores it, and finds it again after a restart', async () => {
    server = await start();
    const client = new WebClient(server.url);
    await client.login(server.token);
    const { conversation } = await client.json<{ conversation: { id: string } }>('/api/conversations', { method: 'POST', json: { agentId: 'travel-local' } });
    expect(conversation.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);

    model.push(
      { expectUser: 'draw', reply: { toolCalls: [{ name: 'run_python', arguments: { code: PLOT } }] } },
      { expectToolResult: 'run_python', reply: { text: 'Here is your line, and notes.txt is saved.' } },
    );
    const response = await client.request(`/api/conversations/${conversation.id}/messages`, { method: 'POST', json: { text: 'Please draw a line' } });
    expect(response.status).toBe(200);
    const events = await readSse(response);
    const types = events.map((e) => e.event);
    expect(types[0]).toBe('accepted');
    expect(types.at(-1)).toBe('done');
    expect(types.indexOf('tool-start')).toBeLessThan(types.indexOf('tool-lifecycle'));
    expect(types.indexOf('tool-end')).toBeLessThan(types.indexOf('text-delta'));
    const end = JSON.parse(events.find((e) => e.event === 'tool-end')!.data) as { call: ToolCallView };
    expect(end.call).toMatchObject({ toolName: 'run_python', sandboxType: 'Local', status: 'success' });
    expect(end.call.lifecycle.map((e) => e.phase)).toEqual(['creating', 'ready', 'executing', 'finished']);
    expect(end.call.lifecycle.every((e) => typeof e.elapsedMs === 'number')).toBe(true);
    expect(end.call.images).toHaveLength(1);
    const imageUrl = end.call.images[0]!.url;

    const image = await client.request(imageUrl);
    expect(image.headers.get('content-type')).toBe('image/png');
    expect([...new Uint8Array(await image.arrayBuffer()).slice(1, 4)]).toEqual([0x50, 0x4e, 0x47]);

    const { files } = await client.json<{ files: { name: string; sizeBytes: number }[] }>(`/api/conversations/${conversation.id}/files`);
    expect(files.map((f) => f.name)).toContain('notes.txt');
    expect(await (await client.request(`/api/conversations/${conversation.id}/files/notes.txt`)).text()).toBe('pack light');

    // Someone else (the token but not this browser's cookie) sees nothing, even with the id.
    const stranger = new WebClient(server.url, server.token);
    expect((await stranger.json<{ conversations: unknown[] }>('/api/conversations')).conversations).toEqual([]);
    expect((await stranger.request(`/api/conversations/${conversation.id}`)).status).toBe(404);
    expect((await stranger.request(imageUrl)).status).toBe(404);

    await server.close();
    server = await start();
    // A new start has a new token; the browser's owner cookie still finds its conversations.
    const again = new WebClient(server.url, server.token);
    again.cookies.set(OWNER_COOKIE, client.cookies.get(OWNER_COOKIE)!);
    const { conversations } = await again.json<{ conversations: { id: string; title: string; agentId: string }[] }>('/api/conversations');
    expect(conversations).toEqual([expect.objectContaining({ id: conversation.id, title: 'Please draw a line', agentId: 'travel-local' })]);
    const { messages } = await again.json<{ messages: DisplayMessage[] }>(`/api/conversations/${conversation.id}`);
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant']);
    const tool = messages[1]!.parts.find((p) => p.type === 'tool');
    expect(tool?.type === 'tool' && tool.call.lifecycle.length).toBe(4);
    expect(messages[1]!.parts.at(-1)).toEqual({ type: 'text', text: 'Here is your line, and notes.txt is saved.' });
    expect((await again.request(imageUrl)).status).toBe(200);

    // The next turn replays the stored history to the model.
    model.push({ expectUser: 'thanks', reply: { text: 'You are welcome.' } });
    await readSse(await again.request(`/api/conversations/${conversation.id}/messages`, { method: 'POST', json: { text: 'thanks' } }));
    const roles = model.requests.at(-1)!.messages.map((m) => m.role);
    expect(roles).toEqual(['system', 'user', 'assistant', 'tool', 'assistant', 'user']);
    expect(model.failures).toEqual([]);

    expect((await again.request(`/api/conversations/${conversation.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await again.request(`/api/conversations/${conversation.id}`)).status).toBe(404);
    expect((await again.request(imageUrl)).status).toBe(404);
  });

  it('rejects bad input with a message that says what to send', async () => {
    server ??= await start();
    const client = new WebClient(server.url, server.token);
    const bad = await client.request('/api/conversations', { method: 'POST', json: { agent: 'x' } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toContain('agentId');
    const unknown = await client.request('/api/conversations', { method: 'POST', json: { agentId: 'travel-mars' } });
    expect(unknown.status).toBe(404);
    expect((await client.request('/api/conversations/not-a-uuid')).status).toBe(404);
  });
});
