/** Replays of what the fuzzers found (listed in findings.ts), against the fixed modules. */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createPoolApp } from '../../src/pool/http/app.js';
import { ExecutionStore } from '../../src/pool/http/execution-store.js';
import { PoolMetrics } from '../../src/pool/http/metrics.js';
import { resolvePoolSettings } from '../../src/pool/settings.js';
import { FINDINGS } from './findings.js';
import { MemorySessionManager } from './support/memory-session-manager.js';

function poolApp() {
  const settings = resolvePoolSettings({ maxSessions: 10, readySessions: 0 }, {});
  const manager = new MemorySessionManager(settings.maxSessions);
  const app = createPoolApp({ sessionManager: manager, settings, apiKeys: [], logger: pino({ level: 'silent' }), metrics: new PoolMetrics(manager), executions: new ExecutionStore(), startedAt: new Date() });
  return { manager, request: (path: string, init?: RequestInit) => Promise.resolve(app.request(`http://pool.test${path}`, init)) };
}

const replays: Record<string, () => Promise<void>> = {
  'truncated-multipart-keeps-file': async () => {
    const { manager, request } = poolApp();
    const whole = '--B\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\nContent-Type: application/octet-stream\r\n\r\nhello\r\n';
    for (const [route, version] of [
      ['/files/upload', '2024-02-02-preview'],
      ['/files', '2025-10-02-preview'],
      ['/python/uploadFile', '2024-02-02-preview'],
    ] as const) {
      // A complete first part, then the body stops where the next boundary would end.
      const response = await request(`${route}?api-version=${version}&identifier=replay`, { method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=B' }, body: `${whole}--B` });
      expect(response.status, route).toBe(400);
      expect(((await response.json()) as { error: { target: string } }).error.target).toBe('file');
      expect(await manager.listFiles('replay', { recursive: true }), `${route} keeps nothing of a refused upload`).toEqual([]);
    }
  },
  'multipart-cut-inside-part-crashes-server': async () => {
    const { manager, request } = poolApp();
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    try {
      // The body stops in the middle of the file's bytes, before any closing boundary.
      const cut = '--B\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\nContent-Type: application/octet-stream\r\n\r\nhel';
      const response = await request('/files?api-version=2025-10-02-preview&identifier=replay', { method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=B' }, body: cut });
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('SessionRequestValidationFailed');
      // Stream errors surface on later ticks; give them the chance.
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(uncaught).toEqual([]);
      expect(await manager.listFiles('replay', { recursive: true })).toEqual([]);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  },
};

describe('fuzzing findings stay fixed', () => {
  it('has a replay for every finding', () => {
    expect(Object.keys(replays).sort()).toEqual(FINDINGS.map((finding) => finding.id).sort());
  });

  for (const finding of FINDINGS) {
    it(`${finding.id}: ${finding.summary.split('.')[0]}`, async () => {
      await replays[finding.id]!();
    });
  }
});
