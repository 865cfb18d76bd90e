/** startPoolServer over a real loopback port, with the fake runtime: listening, auth rule, audit log, 413, shutdown. */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPoolServer, type RunningPoolServer } from '../../../src/pool/index.js';
import { resolvePoolSettings } from '../../../src/pool/settings.js';
import { ConfigurationError } from '../../../src/errors.js';
import { E, gen1Exec, multipart, V1 } from './app-harness.js';
import { FakeSessionManager } from './fake-session-manager.js';
import { expectNoFiles, expectRefused, sendOversized } from './oversized-upload.js';

const fake = () => new FakeSessionManager(resolvePoolSettings({ readySessions: 0 }, {}));

describe('startPoolServer', () => {
  let server: RunningPoolServer;
  let manager: FakeSessionManager;
  let auditFile: string;

  beforeAll(async () => {
    manager = fake();
    auditFile = path.join(await mkdtemp(path.join(os.tmpdir(), 'tidepool-audit-')), 'logs', 'audit.jsonl');
    server = await startPoolServer({ port: 0, sessionManager: manager, auditLogPath: auditFile, env: {} });
  });
  afterAll(async () => {
    await server.close();
  });

  it('listens on the port it reports and serves the API under the pool prefix', async () => {
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    expect(manager.started).toBe(true);
    const response = await fetch(`${server.url}${E}/code/execute?identifier=server-id&${V1}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(gen1Exec('6 * 7')),
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { properties: { result: number } }).properties.result).toBe(42);
  });

  it('tolerates doubled and trailing slashes on the wire (vector 20)', async () => {
    for (const suffix of ['//code/execute', '/code/execute/']) {
      const response = await fetch(`${server.url}${E}${suffix}?identifier=server-id&${V1}`, { method: 'POST', body: JSON.stringify(gen1Exec('1 + 1')) });
      expect(response.status, suffix).toBe(200);
    }
  });

  it('refuses a 129 MB upload, by declared length and by counting a streamed body, keeps nothing and still answers (vector 19)', async () => {
    const big = new Uint8Array(129 * 1024 * 1024);
    const upload = `${server.url}${E}/files/upload?identifier=server-id&${V1}`;
    expectRefused(await sendOversized(upload, { method: 'POST', body: multipart('big.bin', big) }));
    const encoded = new Response(multipart('big.bin', big));
    const streamed = await sendOversized(upload, {
      method: 'POST',
      headers: { 'content-type': encoded.headers.get('content-type')! },
      body: encoded.body,
      duplex: 'half',
    } as RequestInit);
    expectRefused(streamed);
    const listed = async () => ((await (await fetch(`${server.url}/files?identifier=server-id&${V1}`)).json()) as { value: unknown[] }).value;
    await expectNoFiles(listed);
    const fits = await fetch(upload, { method: 'POST', body: multipart('small.bin', new Uint8Array(1024)) });
    expect(fits.status).toBe(200);
    expect(await listed()).toHaveLength(1);
  });

  it('appends one JSON line per request to the audit log, without code', async () => {
    await fetch(`${server.url}/code/execute?identifier=audit-id&${V1}`, { method: 'POST', body: JSON.stringify(gen1Exec("secret = 'do-not-log'")) });
    await fetch(`${server.url}/code/execute?identifier=bad%20id&${V1}`, { method: 'POST', body: JSON.stringify(gen1Exec('1')) });
    const lines = (await readFile(auditFile, 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    const executed = lines.find((line) => line.identifier === 'audit-id')!;
    expect(executed).toMatchObject({ method: 'POST', path: '/code/execute', operation: 'code/execute', status: 200, remoteAddress: '127.0.0.1' });
    expect(executed.bytesIn).toBeGreaterThan(0);
    expect(executed.bytesOut).toBeGreaterThan(0);
    expect(typeof executed.durationMs).toBe('number');
    expect(Date.parse(executed.time as string)).not.toBeNaN();
    expect(lines.find((line) => line.status === 400)).toMatchObject({ errorCode: 'SessionRequestValidationFailed' });
    expect(await readFile(auditFile, 'utf8')).not.toContain('do-not-log');
  });
});

describe('startPoolServer safety and shutdown', () => {
  it('refuses to listen beyond loopback without an API key, naming both fixes', async () => {
    const manager = fake();
    const error = await startPoolServer({ host: '0.0.0.0', port: 0, sessionManager: manager, env: {} }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toContain('--api-key');
    expect((error as Error).message).toContain('127.0.0.1');
    expect(manager.started).toBe(false);
  });

  it('refuses egress on a pool without an API key before starting anything, naming both fixes', async () => {
    const manager = fake();
    const error = await startPoolServer({ port: 0, egress: true, sessionManager: manager, env: {} }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).code).toBe('configuration');
    expect((error as Error).message).toContain('Set --api-key/TIDEPOOL_POOL_API_KEYS, or --egress off.');
    expect(manager.started).toBe(false);
  });

  it('serves egress on with a key, as the embedded pool starts it, and keeps the API behind that key', async () => {
    const key = randomBytes(32).toString('base64url');
    const server = await startPoolServer({ host: '127.0.0.1', port: 0, egress: true, apiKeys: [key], sessionManager: fake(), env: {} });
    try {
      expect(server.settings.egress).toBe(true);
      const listed = await fetch(`${server.url}/listSessions?api-version=2025-02-02-preview`);
      expect(listed.status).toBe(401);
      const response = await fetch(`${server.url}/code/execute?identifier=embedded&${V1}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify(gen1Exec('6 * 7')),
      });
      expect(((await response.json()) as { properties: { result: number } }).properties.result).toBe(42);
      expect(await (await fetch(`${server.url}/healthz`)).json()).toEqual({ status: 'ok' });
    } finally {
      await server.close();
    }
  });

  it('records executed code only with auditIncludeContent', async () => {
    const auditFile = path.join(await mkdtemp(path.join(os.tmpdir(), 'tidepool-audit-')), 'audit.jsonl');
    const server = await startPoolServer({ port: 0, sessionManager: fake(), auditLogPath: auditFile, auditIncludeContent: true, env: {} });
    try {
      await fetch(`${server.url}/code/execute?identifier=audit-id&${V1}`, { method: 'POST', body: JSON.stringify(gen1Exec('40 + 2')) });
    } finally {
      await server.close();
    }
    expect(JSON.parse((await readFile(auditFile, 'utf8')).trim())).toMatchObject({ code: '40 + 2' });
  });

  it('close() stops listening and ends every session', async () => {
    const manager = fake();
    const server = await startPoolServer({ port: 0, sessionManager: manager, env: {} });
    for (const id of ['close-one', 'close-two']) {
      await fetch(`${server.url}/code/execute?identifier=${id}&${V1}`, { method: 'POST', body: JSON.stringify(gen1Exec('import os\nos.getpid()')) });
    }
    expect(manager.sessionCount).toBe(2);
    await server.close();
    expect(manager.closed).toBe(true);
    expect(manager.sessionCount).toBe(0);
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
  });

  it('reads its settings from the injected environment', async () => {
    const server = await startPoolServer({ sessionManager: fake(), env: { TIDEPOOL_POOL_PORT: '0', TIDEPOOL_POOL_MAX_SESSIONS: '9', TIDEPOOL_POOL_READY_SESSIONS: '1' } });
    try {
      expect(server.settings.maxSessions).toBe(9);
      expect(server.port).toBeGreaterThan(0);
    } finally {
      await server.close();
    }
  });
});
