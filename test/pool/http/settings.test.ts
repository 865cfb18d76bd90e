/** The pool's settings resolver: option, else TIDEPOOL_POOL_* variable, else default; errors name the fix. */
import { describe, expect, it } from 'vitest';
import { isLoopbackHost, resolveListenSettings, resolvePoolSettings } from '../../../src/pool/settings.js';
import { PoolError } from '../../../src/pool/types.js';

describe('resolvePoolSettings', () => {
  it('uses the documented defaults when nothing is set', () => {
    expect(resolvePoolSettings({}, {})).toEqual({
      isolation: 'bwrap',
      egress: false,
      maxSessions: 100,
      readySessions: 4,
      cooldownSeconds: 300,
      memoryMb: 1024,
      maxExecutionSeconds: 220,
      diskMb: 512,
      maxProcesses: 128,
      outputLimitBytes: 1024 * 1024,
      pythonPath: '/usr/bin/python3',
    });
  });

  it('reads every TIDEPOOL_POOL_* variable, and options win over them', () => {
    const env = {
      TIDEPOOL_POOL_ISOLATION: 'gvisor',
      TIDEPOOL_POOL_EGRESS: 'on',
      TIDEPOOL_POOL_MAX_SESSIONS: '7',
      TIDEPOOL_POOL_READY_SESSIONS: '0',
      TIDEPOOL_POOL_COOLDOWN_SECONDS: '60',
      TIDEPOOL_POOL_MEMORY_MB: '256',
      TIDEPOOL_POOL_MAX_EXECUTION_SECONDS: '30',
      TIDEPOOL_POOL_DISK_MB: '64',
      TIDEPOOL_PYTHON: '/opt/python3',
    };
    expect(resolvePoolSettings({}, env)).toMatchObject({
      isolation: 'gvisor',
      egress: true,
      maxSessions: 7,
      readySessions: 0,
      cooldownSeconds: 60,
      memoryMb: 256,
      maxExecutionSeconds: 30,
      diskMb: 64,
      pythonPath: '/opt/python3',
    });
    expect(resolvePoolSettings({ isolation: 'none', egress: false, maxSessions: 3 }, env)).toMatchObject({ isolation: 'none', egress: false, maxSessions: 3 });
  });

  it('names the variable and the flag in errors', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ TIDEPOOL_POOL_MAX_SESSIONS: 'lots' }, /TIDEPOOL_POOL_MAX_SESSIONS \/ --max-sessions.*"lots"/],
      [{ TIDEPOOL_POOL_ISOLATION: 'docker' }, /TIDEPOOL_POOL_ISOLATION \/ --isolation.*bwrap, gvisor, none/],
      [{ TIDEPOOL_POOL_EGRESS: 'maybe' }, /TIDEPOOL_POOL_EGRESS \/ --egress.*on or off/],
      [{ TIDEPOOL_POOL_COOLDOWN_SECONDS: '0' }, /TIDEPOOL_POOL_COOLDOWN_SECONDS/],
      [{ TIDEPOOL_POOL_MAX_SESSIONS: '2', TIDEPOOL_POOL_READY_SESSIONS: '5' }, /cannot exceed maxSessions/],
    ];
    for (const [env, message] of cases) {
      let caught: unknown;
      try {
        resolvePoolSettings({}, env);
      } catch (error) {
        caught = error;
      }
      expect(caught, JSON.stringify(env)).toBeInstanceOf(PoolError);
      expect((caught as PoolError).code).toBe('invalid_input');
      expect((caught as PoolError).message).toMatch(message);
    }
  });
});

describe('resolveListenSettings', () => {
  it('defaults to 127.0.0.1:8787 with no keys and no audit file', () => {
    expect(resolveListenSettings({}, {})).toEqual({ host: '127.0.0.1', port: 8787, apiKeys: [], auditLogPath: undefined });
  });

  it('reads host, port, comma-separated keys and the audit file from the environment', () => {
    const env = { TIDEPOOL_POOL_HOST: '0.0.0.0', TIDEPOOL_POOL_PORT: '0', TIDEPOOL_POOL_API_KEYS: ' a, b ,,', TIDEPOOL_POOL_AUDIT_LOG: '/tmp/audit.jsonl' };
    expect(resolveListenSettings({}, env)).toEqual({ host: '0.0.0.0', port: 0, apiKeys: ['a', 'b'], auditLogPath: '/tmp/audit.jsonl' });
    expect(resolveListenSettings({ apiKeys: ['c'], port: 9000 }, env)).toMatchObject({ apiKeys: ['c'], port: 9000 });
    expect(() => resolveListenSettings({}, { TIDEPOOL_POOL_PORT: '70000' })).toThrow(/TIDEPOOL_POOL_PORT \/ --port/);
  });

  it('knows which hosts are loopback', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) expect(isLoopbackHost(host), host).toBe(true);
    for (const host of ['0.0.0.0', '::', '192.168.1.10', 'example.com']) expect(isLoopbackHost(host), host).toBe(false);
  });
});
