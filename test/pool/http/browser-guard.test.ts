/** A pool without keys answers API clients on loopback, never a web page (cross-site requests, DNS rebinding). */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createPoolApp } from '../../../src/pool/http/app.js';
import { ExecutionStore } from '../../../src/pool/http/execution-store.js';
import { PoolMetrics } from '../../../src/pool/http/metrics.js';
import { resolvePoolSettings } from '../../../src/pool/settings.js';
import { FakeSessionManager } from './fake-session-manager.js';

const LIST = '/listSessions?api-version=2025-10-02-preview';

function poolApp(apiKeys: string[]) {
  const settings = resolvePoolSettings({ readySessions: 0 }, {});
  const manager = new FakeSessionManager(settings);
  const app = createPoolApp({ sessionManager: manager, settings, apiKeys, logger: pino({ level: 'silent' }), metrics: new PoolMetrics(manager), executions: new ExecutionStore(), startedAt: new Date() });
  return async (path: string, headers: Record<string, string>) => {
    const response = await app.request(`http://127.0.0.1:8787${path}`, { headers });
    const body = (await response.json()) as { error?: { code: string; target: string } };
    return { status: response.status, code: body.error?.code, target: body.error?.target };
  };
}

describe('a pool without keys and web pages', () => {
  const request = poolApp([]);

  it('answers clients that name it by a loopback address and send no Origin', async () => {
    for (const host of ['127.0.0.1:8787', 'localhost:8787', 'localhost', '[::1]:8787', '127.0.0.2']) {
      expect((await request(LIST, { host })).status, host).toBe(200);
    }
    expect((await request(LIST, {})).status, 'no Host header (an in-process request)').toBe(200);
  });

  it('refuses with 403 any request that carries an Origin, even a loopback one', async () => {
    for (const origin of ['https://evil.example', 'http://127.0.0.1:8787', 'null']) {
      expect(await request(LIST, { host: '127.0.0.1:8787', origin }), origin).toEqual({ status: 403, code: 'Forbidden', target: 'origin' });
    }
  });

  it('refuses with 403 a request for any other host name, as a page re-pointed at 127.0.0.1 sends', async () => {
    for (const host of ['rebind.evil.example:8787', 'rebind.evil.example', '10.0.0.5:8787', 'localhost.evil.example']) {
      expect(await request(LIST, { host }), host).toEqual({ status: 403, code: 'Forbidden', target: 'host' });
    }
  });

  it('still answers /healthz and /readyz to anyone, which say nothing a page could use', async () => {
    expect((await request('/healthz', { host: 'rebind.evil.example', origin: 'https://evil.example' })).status).toBe(200);
    expect((await request('/readyz', { host: 'rebind.evil.example', origin: 'https://evil.example' })).status).toBe(200);
  });
});

describe('a pool with keys and web pages', () => {
  it('leaves the key to decide: an Origin or another host name changes nothing', async () => {
    const request = poolApp(['secret']);
    expect((await request(LIST, { host: 'pool.example', origin: 'https://app.example', authorization: 'Bearer secret' })).status).toBe(200);
    expect((await request(LIST, { host: 'pool.example', origin: 'https://evil.example' })).status).toBe(401);
  });
});
