/**
 * The Local agent (code on the host, no isolation) is off beside the embedded pool, whose sessions
 * have network egress, unless the server is started with the opt-in; and every route that names an
 * agent refuses it then, not only the list in the UI.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/errors.js';
import { backendsWithEgress, localRestriction, resolveAllowLocal } from '../../src/web/agent-policy.js';
import { OWNER_COOKIE } from '../../src/web/owner.js';
import { startWebServer, type RunningWebServer } from '../../src/web/server.js';
import { WebClient } from './helpers.js';

interface Agent {
  id: string;
  available: boolean;
  reason?: string;
}

/** A model is configured (and never called) so refusals come from the agent check, not the model's. */
const MODEL_ENV = { OPENAI_BASE_URL: 'http://127.0.0.1:9/v1', OPENAI_MODEL: 'none' };

describe('the Local agent beside a backend with network egress', () => {
  let dir: string;
  let server: RunningWebServer | undefined;

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'tidepool-local-'));
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const start = async (options: Parameters<typeof startWebServer>[0] = {}) => {
    await server?.close();
    server = await startWebServer({ port: 0, dbPath: path.join(dir, 'db.sqlite'), ...options, env: { ...MODEL_ENV, ...options.env } });
    return { server, client: new WebClient(server.url, server.token) };
  };

  it('is listed as unavailable by default, with the risk and the flag to turn it on', async () => {
    const { client } = await start();
    const { agents } = await client.json<{ agents: Agent[] }>('/api/status');
    const local = agents.find((agent) => agent.id === 'travel-local')!;
    expect(local.available).toBe(false);
    expect(local.reason).toContain('without isolation');
    expect(local.reason).toContain('Sandbox-Pool sessions (which have network egress)');
    expect(local.reason).toContain('--allow-unsandboxed-local');
    expect(local.reason).toContain('TIDEPOOL_WEB_ALLOW_UNSANDBOXED_LOCAL=1');
    expect(agents.find((agent) => agent.id === 'travel-pool')?.available).toBe(true);
    const { data } = await client.json<{ data: Agent[] }>('/v1/models');
    expect(data.find((model) => model.id === 'travel-local')).toMatchObject({ available: false, reason: expect.stringContaining('--allow-unsandboxed-local') });
  });

  it('is refused by every route that names an agent, under any of its names', async () => {
    const { server: running, client } = await start();
    const code = 'import os; os.getpid()';
    for (const agentId of ['travel-local', 'local', 'Local']) {
      for (const tool of ['run_python', 'research_weather', 'chart_weather']) {
        const refused = await client.request(`/api/tools/${tool}`, { method: 'POST', json: { agentId, input: { code, destination: 'Paris', places: ['Paris'] } } });
        expect(refused.status, `${tool} ${agentId}`).toBe(503);
        expect(await refused.json()).toMatchObject({ error: { code: 'agent_unavailable', message: expect.stringContaining('--allow-unsandboxed-local') } });
      }
      const conversation = await client.request('/api/conversations', { method: 'POST', json: { agentId } });
      expect(conversation.status, `conversation ${agentId}`).toBe(503);
      for (const stream of [false, true]) {
        const completion = await client.request('/v1/chat/completions', { method: 'POST', json: { model: agentId, stream, messages: [{ role: 'user', content: 'run some code' }] } });
        expect(completion.status, `v1 ${agentId} stream=${stream}`).toBe(503);
        expect(await completion.json()).toMatchObject({ error: { code: 'agent_unavailable', message: expect.stringContaining('without isolation') } });
      }
    }
    expect(running.agents.get('travel-local').sandbox).toBeUndefined();
  });

  it('is refused for a conversation started while it was on, once the server restarts without the opt-in', async () => {
    const { client: before } = await start({ allowUnsandboxedLocal: true });
    const { conversation } = await before.json<{ conversation: { id: string } }>('/api/conversations', { method: 'POST', json: { agentId: 'travel-local' } });
    const { client } = await start();
    client.cookies.set(OWNER_COOKIE, before.cookies.get(OWNER_COOKIE)!);
    const chat = await client.request(`/api/conversations/${conversation.id}/messages`, { method: 'POST', json: { text: 'print(1)' } });
    expect(chat.status).toBe(503);
    expect(await chat.json()).toMatchObject({ error: { code: 'agent_unavailable' } });
    expect(await client.json(`/api/conversations/${conversation.id}/files`)).toEqual({ files: [] });
  });

  it('is offered with the opt-in, from the option or TIDEPOOL_WEB_ALLOW_UNSANDBOXED_LOCAL', async () => {
    for (const options of [{ allowUnsandboxedLocal: true }, { env: { TIDEPOOL_WEB_ALLOW_UNSANDBOXED_LOCAL: '1' } }, { env: { TIDEPOOL_WEB_ALLOW_UNSANDBOXED_LOCAL: 'true' } }]) {
      const { client } = await start(options);
      const { agents } = await client.json<{ agents: Agent[] }>('/api/status');
      expect(agents.find((agent) => agent.id === 'travel-local'), JSON.stringify(options)).toEqual(expect.objectContaining({ available: true }));
    }
    const { client } = await start({ allowUnsandboxedLocal: true });
    const result = await client.json<{ sandboxType: string; text: string }>('/api/tools/run_python', { method: 'POST', json: { agentId: 'travel-local', input: { code: '6 * 7' } } });
    expect(result).toMatchObject({ sandboxType: 'Local', text: expect.stringContaining('42') });
    const { client: off } = await start({ env: { TIDEPOOL_WEB_ALLOW_UNSANDBOXED_LOCAL: '0' } });
    expect((await off.json<{ agents: Agent[] }>('/api/status')).agents.find((agent) => agent.id === 'travel-local')?.available).toBe(false);
  });
});

describe('the Local agent policy', () => {
  it('keeps Local off on a non-loopback bind even with the opt-in', () => {
    for (const host of ['0.0.0.0', '192.168.1.5', '::']) {
      expect(localRestriction({ host, allowUnsandboxedLocal: true, egressBackends: [] })).toContain(`off while serving on ${host}`);
    }
    expect(localRestriction({ host: '127.0.0.1', allowUnsandboxedLocal: true, egressBackends: ['Sandbox-Pool'] })).toBeUndefined();
    expect(localRestriction({ host: 'localhost', allowUnsandboxedLocal: false, egressBackends: [] })).toBeUndefined();
    expect(localRestriction({ host: '127.0.0.1', allowUnsandboxedLocal: false, egressBackends: ['Sandbox-Pool', 'Sandbox-E2B'] })).toContain('Sandbox-Pool, Sandbox-E2B sessions');
  });

  it('counts the embedded pool unless its egress is off, and every configured cloud backend', () => {
    expect(backendsWithEgress({})).toEqual(['Sandbox-Pool']);
    expect(backendsWithEgress({}, { sandboxOptions: { pool: { pool: { egress: false } } } })).toEqual([]);
    expect(backendsWithEgress({}, { disabled: { 'Sandbox-Pool': 'off' } })).toEqual([]);
    expect(backendsWithEgress({ E2B_API_KEY: 'e2b_x', ACA_POOL_MANAGEMENT_ENDPOINT: 'http://127.0.0.1:8787' }, { disabled: { 'Sandbox-Pool': 'off' } })).toEqual(['Sandbox-ACA', 'Sandbox-E2B']);
    expect(backendsWithEgress({}, { sandboxOptions: { daytona: { apiKey: 'dtn_x' } } })).toEqual(['Sandbox-Pool', 'Sandbox-Daytona']);
  });

  it('reads the opt-in as a yes/no setting and rejects anything else', () => {
    expect(resolveAllowLocal(undefined, {})).toBe(false);
    expect(resolveAllowLocal(undefined, { TIDEPOOL_WEB_ALLOW_UNSANDBOXED_LOCAL: 'yes' })).toBe(true);
    expect(resolveAllowLocal(false, { TIDEPOOL_WEB_ALLOW_UNSANDBOXED_LOCAL: '1' })).toBe(false);
    expect(() => resolveAllowLocal(undefined, { TIDEPOOL_WEB_ALLOW_UNSANDBOXED_LOCAL: 'sure' })).toThrow(ConfigurationError);
  });
});
