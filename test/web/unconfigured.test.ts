import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LifecycleEvent } from '../../src/sandbox/lifecycle.js';
import { startWebServer, type RunningWebServer } from '../../src/web/server.js';
import { WebClient } from './helpers.js';

interface Status {
  model: { configured: boolean; reason?: string };
  agents: { id: string; available: boolean; reason?: string }[];
}

describe('web server without a model', () => {
  let server: RunningWebServer;
  let dir: string;
  let client: WebClient;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'tidepool-nomodel-'));
    // Local is the quickest backend for these checks; without this it is off beside the pool.
    server = await startWebServer({ port: 0, dbPath: path.join(dir, 'db.sqlite'), env: {}, allowUnsandboxedLocal: true });
    client = new WebClient(server.url);
    expect((await client.login(server.token)).status).toBe(302);
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('says exactly which variables to set, in the status and when someone chats anyway', async () => {
    const status = await client.json<Status>('/api/status');
    expect(status.model.configured).toBe(false);
    for (const name of ['OPENAI_API_KEY', 'AZURE_OPENAI_ENDPOINT', 'AZURE_OPENAI_DEPLOYMENT_NAME', 'OPENAI_BASE_URL']) expect(status.model.reason).toContain(name);

    const { conversation } = await client.json<{ conversation: { id: string } }>('/api/conversations', { method: 'POST', json: { agentId: 'travel-local' } });
    const chat = await client.request(`/api/conversations/${conversation.id}/messages`, { method: 'POST', json: { text: 'Weather in Rome?' } });
    expect(chat.status).toBe(503);
    expect(await chat.json()).toMatchObject({ error: { code: 'model_not_configured', message: expect.stringContaining('OPENAI_API_KEY') } });

    const v1 = await client.request('/v1/chat/completions', { method: 'POST', json: { model: 'travel-local', messages: [{ role: 'user', content: 'hi' }] } });
    expect(v1.status).toBe(503);
    expect(await v1.json()).toMatchObject({ error: { code: 'model_not_configured' } });
  });

  it('lists unconfigured backends as unavailable, each with the setting to fix', async () => {
    const { agents } = await client.json<Status>('/api/status');
    expect(agents.map((a) => [a.id, a.available])).toEqual([
      ['travel-local', true],
      ['travel-pool', true],
      ['travel-aca', false],
      ['travel-e2b', false],
      ['travel-daytona', false],
    ]);
    expect(agents.find((a) => a.id === 'travel-aca')?.reason).toContain('ACA_POOL_MANAGEMENT_ENDPOINT');
    expect(agents.find((a) => a.id === 'travel-e2b')?.reason).toContain('E2B_API_KEY');
    expect(agents.find((a) => a.id === 'travel-daytona')?.reason).toContain('DAYTONA_API_KEY');
    const refused = await client.request('/api/tools/run_python', { method: 'POST', json: { agentId: 'travel-e2b', input: { code: '1' } } });
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toContain('E2B_API_KEY');
  });

  it('still runs tools directly from the Tools page API, with lifecycle timings', async () => {
    const result = await client.json<{ sandboxType: string; text: string; lifecycle: LifecycleEvent[]; images: { url: string }[] }>('/api/tools/run_python', {
      method: 'POST',
      json: { agentId: 'travel-local', input: { code: 'import statistics\nstatistics.mean([18, 21, 24])' } },
    });
    expect(result.sandboxType).toBe('Local');
    expect(result.text).toContain('result: 21');
    expect(result.lifecycle.map((e) => e.phase)).toEqual(['creating', 'ready', 'executing', 'finished']);
    expect(result.lifecycle.find((e) => e.phase === 'finished')?.stepMs).toEqual(expect.any(Number));

    const invalid = await client.request('/api/tools/chart_weather', { method: 'POST', json: { agentId: 'travel-local', input: { places: [] } } });
    expect(invalid.status).toBe(400);
    expect(((await invalid.json()) as { error: { message: string } }).error.message).toContain('at least one place');
    expect((await client.request('/api/tools/book_flight', { method: 'POST', json: { agentId: 'travel-local', input: {} } })).status).toBe(404);
  });

  it('serves the chat and tools pages', async () => {
    const page = await client.request('/');
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('/static/chat.js');
    expect(await (await client.request('/tools')).text()).toContain('/static/tools.js');
    expect((await client.request('/static/tool-card.js')).status).toBe(200);
    expect((await client.request('/static/../package.json')).status).toBe(404);
  });
});
