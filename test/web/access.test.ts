/**
 * The access token and the Host guard, on a real port. The routes checked are read from the app
 * itself, so a route added later is covered without touching this file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/errors.js';
import { accessCookieName, tokensMatch } from '../../src/web/access.js';
import { createWebApp } from '../../src/web/app.js';
import type { WebDeps } from '../../src/web/deps.js';
import { startWebServer, type RunningWebServer } from '../../src/web/server.js';
import { PUBLIC_PATHS } from '../../src/web/static.js';

interface Route {
  method: string;
  path: string;
}

/** Every route the app registers (middleware excluded), with its parameters filled in. */
function appRoutes(): Route[] {
  const app = createWebApp({ access: { token: 'x'.repeat(16), cookieName: 'c', allowedHosts: new Set() } } as unknown as WebDeps);
  const seen = new Set<string>();
  const routes: Route[] = [];
  for (const route of app.routes) {
    if (route.method === 'ALL') continue;
    const filled = route.path.replace(/:(\w+)(\{[^}]*\})?/g, (_match, name: string) =>
      ({ id: crypto.randomUUID(), imageId: crypto.randomUUID(), name: 'notes.txt', tool: 'run_python' })[name] ?? 'x',
    );
    const key = `${route.method} ${filled}`;
    if (!seen.has(key)) routes.push({ method: route.method, path: filled });
    seen.add(key);
  }
  return routes;
}

/** node:http, because fetch will not send a Host header of our choosing (or none at all). */
function rawRequest(url: string, options: { host?: string | null; headers?: Record<string, string> } = {}): Promise<{ status: number; body: string }> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.host) headers.host = options.host;
    const request = http.request({ host: target.hostname, port: target.port, path: target.pathname + target.search, headers, setHost: options.host === undefined }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on('error', reject);
    request.end();
  });
}

describe('web access: token and Host guard', () => {
  let server: RunningWebServer;
  let dir: string;
  const routes = appRoutes();
  const guarded = routes.filter((route) => !PUBLIC_PATHS.has(route.path));

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'tidepool-access-'));
    // A model is configured (never called) so /v1 and chat routes get as far as they can.
    server = await startWebServer({ port: 0, dbPath: path.join(dir, 'db.sqlite'), env: { OPENAI_BASE_URL: 'http://127.0.0.1:9/v1', OPENAI_MODEL: 'none' } });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const send = (route: Route, headers: Record<string, string> = {}) =>
    fetch(server.url + route.path, {
      method: route.method,
      headers: { ...headers, ...(route.method === 'POST' ? { 'content-type': 'application/json' } : {}) },
      body: route.method === 'POST' ? '{}' : undefined,
      redirect: 'manual',
    });

  it('finds the app\'s routes, including every /api and /v1 route', () => {
    const paths = guarded.map((route) => `${route.method} ${route.path.replace(/[0-9a-f-]{36}/g, ':id')}`);
    for (const expected of ['GET /', 'GET /tools', 'GET /api/status', 'GET /api/conversations', 'POST /api/conversations', 'GET /api/conversations/:id', 'DELETE /api/conversations/:id', 'POST /api/conversations/:id/messages', 'POST /api/conversations/:id/stop', 'GET /api/conversations/:id/files', 'GET /api/conversations/:id/files/notes.txt', 'GET /api/conversations/:id/images/:id', 'POST /api/tools/run_python', 'GET /v1/models', 'POST /v1/chat/completions', 'GET /static/chat.js']) {
      expect(paths).toContain(expected);
    }
    expect([...PUBLIC_PATHS].sort()).toEqual(['/favicon.ico', '/favicon.svg', '/login', '/static/app.css']);
  });

  it('answers 401 with how to get in on every route but the login page, without a token or with a wrong one', async () => {
    const wrong = 'w'.repeat(32);
    const attempts: [string, Record<string, string>][] = [
      ['no token', {}],
      ['wrong bearer', { authorization: `Bearer ${wrong}` }],
      ['wrong cookie', { cookie: `${accessCookieName(server.port)}=${wrong}` }],
      ['right token in another port\'s cookie', { cookie: `${accessCookieName(server.port + 1)}=${server.token}` }],
      ['token without "Bearer"', { authorization: server.token }],
    ];
    for (const route of [...guarded, { method: 'GET', path: '/no-such-page' }]) {
      for (const [label, headers] of attempts) {
        const response = await send(route, headers);
        expect(response.status, `${route.method} ${route.path} (${label})`).toBe(401);
        expect(response.headers.get('www-authenticate')).toContain('Bearer');
        const body = (await response.json()) as { error: { message: string; code: string } };
        expect(body.error.code).toBe('unauthorized');
        expect(body.error.message).toContain(`${server.url}/?token=`);
        expect(body.error.message).toContain('Authorization: Bearer <token>');
      }
    }
    // A token in the query string only counts when a browser opens a page with it.
    const post = await fetch(`${server.url}/api/tools/run_python?token=${server.token}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ agentId: 'travel-pool', input: { code: '1' } }) });
    expect(post.status).toBe(401);
  });

  it('lets the right bearer token through on every route', async () => {
    for (const route of guarded) {
      const response = await send(route, { authorization: `Bearer ${server.token}` });
      expect(response.status, `${route.method} ${route.path}`).not.toBe(401);
      expect(response.status, `${route.method} ${route.path}`).not.toBe(403);
    }
    const models = await fetch(`${server.url}/v1/models`, { headers: { authorization: `bearer ${server.token}` } });
    expect(models.status).toBe(200);
    expect(((await models.json()) as { data: unknown[] }).data).toHaveLength(5);
  });

  it('serves the login page and what it needs without a token, and shows it to a browser that has none', async () => {
    for (const publicPath of PUBLIC_PATHS) expect((await fetch(server.url + publicPath)).status, publicPath).toBe(200);
    const page = await fetch(`${server.url}/tools`, { headers: { accept: 'text/html,application/xhtml+xml' } });
    expect(page.status).toBe(401);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    expect(html).toContain('data-testid="login-page"');
    expect(html).not.toContain(server.token);
  });

  it('trades ?token= for an HttpOnly SameSite=Strict cookie named after the port, then redirects without it', async () => {
    const response = await fetch(`${server.url}/tools?token=${server.token}&tab=2`, { redirect: 'manual' });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/tools?tab=2');
    const setCookie = response.headers.getSetCookie().find((cookie) => cookie.startsWith(`${accessCookieName(server.port)}=`));
    expect(setCookie).toBeDefined();
    expect(setCookie).toMatch(/; HttpOnly/i);
    expect(setCookie).toMatch(/; SameSite=Strict/i);
    expect(setCookie).toMatch(/; Path=\//i);
    const cookie = setCookie!.split(';')[0]!;
    expect((await fetch(`${server.url}/api/status`, { headers: { cookie } })).status).toBe(200);
    expect((await fetch(`${server.url}/tools`, { headers: { cookie } })).status).toBe(200);
    expect((await fetch(`${server.url}/?token=${server.token}`, { redirect: 'manual' })).headers.get('location')).toBe('/');

    const wrong = await fetch(`${server.url}/?token=not-the-token-at-all`, { redirect: 'manual' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.getSetCookie().some((c) => c.startsWith(accessCookieName(server.port)))).toBe(false);
  });

  it('refuses requests addressed to another host name (DNS rebinding) with 403, token or not', async () => {
    const auth = { authorization: `Bearer ${server.token}` };
    for (const host of ['evil.example', `evil.example:${server.port}`, `127.0.0.1.nip.io:${server.port}`, `localhost.evil.example:${server.port}`]) {
      const response = await rawRequest(`${server.url}/api/status`, { host, headers: auth });
      expect(response.status, host).toBe(403);
      const body = JSON.parse(response.body) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('forbidden_host');
      expect(body.error.message).toContain('DNS rebinding');
    }
    expect((await rawRequest(`${server.url}/login`, { host: 'evil.example' })).status).toBe(403);
    // Without a Host header Node's HTTP server already answers 400; either way the app is not reached.
    expect([400, 403]).toContain((await rawRequest(`${server.url}/api/status`, { host: null, headers: auth })).status);
    for (const host of [`localhost:${server.port}`, `127.0.0.1:${server.port}`, 'LOCALHOST', `[::1]:${server.port}`]) {
      expect((await rawRequest(`${server.url}/api/status`, { host, headers: auth })).status, host).toBe(200);
    }
  });
});

describe('the access token setting', () => {
  const start = async (options: Parameters<typeof startWebServer>[0]) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tidepool-token-'));
    try {
      const server = await startWebServer({ port: 0, dbPath: path.join(dir, 'db.sqlite'), ...options });
      await server.close();
      return server;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it('is random (192 bits, URL-safe) and new at each start unless TIDEPOOL_WEB_TOKEN or the option fixes it', async () => {
    const [first, second] = [await start({ env: {} }), await start({ env: {} })];
    expect(first.token).toMatch(/^[\w-]{32}$/);
    expect(first.token).not.toBe(second.token);
    expect(first.loginUrl).toBe(`${first.url}/?token=${first.token}`);
    expect((await start({ env: { TIDEPOOL_WEB_TOKEN: ' my-fixed-token-123456 ' } })).token).toBe('my-fixed-token-123456');
    expect((await start({ env: { TIDEPOOL_WEB_TOKEN: 'ignored-because-option-wins' }, token: 'option-token-1234567' })).token).toBe('option-token-1234567');
  });

  it('refuses a short or URL-unsafe token, naming the setting', async () => {
    for (const token of ['short', 'has spaces in it, sixteen+', 'semi;colon=cookie-breaker']) {
      await expect(start({ env: { TIDEPOOL_WEB_TOKEN: token } })).rejects.toThrow(ConfigurationError);
      await expect(start({ env: { TIDEPOOL_WEB_TOKEN: token } })).rejects.toThrow(/TIDEPOOL_WEB_TOKEN \(or --token\)/);
    }
  });

  it('compares tokens whatever their lengths', () => {
    expect(tokensMatch('abc', 'abc')).toBe(true);
    expect(tokensMatch('abc', 'abd')).toBe(false);
    expect(tokensMatch('', 'abc')).toBe(false);
    expect(tokensMatch('abc'.repeat(100), 'abc')).toBe(false);
  });
});
