/** The pool's settings resolver: option, else TIDEPOOL_POOL_* variable, else default; errors name the fix. */
import { describe, expect, it } from 'vitest';
import {
  resolveListenSettings,
  resolvePoolServerSettings,
  resolvePoolSettings,
  resolveServerLimits,
} from '../../../src/pool/settings.js';
import { ConfigurationError } from '../../../src/errors.js';

describe('resolvePoolSettings', () => {
  it('reads egress exceptions as IPv4:port entries and refuses anything else with the setting named', () => {
    expect(resolvePoolSettings({}, { TIDEPOOL_POOL_EGRESS_ALLOW: '192.168.1.10:3128, 10.0.0.5:80' }).egressAllow).toEqual(['192.168.1.10:3128', '10.0.0.5:80']);
    expect(resolvePoolSettings({ egressAllow: ['203.0.113.9:443'] }, { TIDEPOOL_POOL_EGRESS_ALLOW: '10.0.0.5:80' }).egressAllow).toEqual(['203.0.113.9:443']);
    for (const bad of ['10.0.0.5', 'example.com:80', '300.1.1.1:80', '10.0.0.5:0', '[::1]:80']) {
      expect(() => resolvePoolSettings({}, { TIDEPOOL_POOL_EGRESS_ALLOW: bad }), bad).toThrow(/TIDEPOOL_POOL_EGRESS_ALLOW \/ --egress-allow.*IPv4:port/);
    }
    expect(() => resolvePoolSettings({}, { TIDEPOOL_POOL_EGRESS_ALLOW: '127.0.0.1:8080' })).toThrow(/loopback.*the session itself/);
  });


  it('uses the documented defaults when nothing is set', () => {
    expect(resolvePoolSettings({}, {})).toEqual({
      isolation: 'bwrap',
      containerType: 'python',
      egress: false,
      egressAllow: [],
      maxSessions: 100,
      readySessions: 4,
      maxReadySessions: 16,
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
      TIDEPOOL_POOL_ISOLATION: 'none',
      TIDEPOOL_POOL_EGRESS: 'on',
      TIDEPOOL_POOL_MAX_SESSIONS: '7',
      TIDEPOOL_POOL_READY_SESSIONS: '0',
      TIDEPOOL_POOL_MAX_READY_SESSIONS: '2',
      TIDEPOOL_POOL_COOLDOWN_SECONDS: '60',
      TIDEPOOL_POOL_MEMORY_MB: '256',
      TIDEPOOL_POOL_MAX_EXECUTION_SECONDS: '30',
      TIDEPOOL_POOL_DISK_MB: '64',
      TIDEPOOL_PYTHON: '/opt/python3',
    };
    expect(resolvePoolSettings({}, env)).toMatchObject({
      isolation: 'none',
      egress: true,
      maxSessions: 7,
      readySessions: 0,
      maxReadySessions: 2,
      cooldownSeconds: 60,
      memoryMb: 256,
      maxExecutionSeconds: 30,
      diskMb: 64,
      pythonPath: '/opt/python3',
    });
    expect(resolvePoolSettings({ isolation: 'none', egress: false, maxSessions: 3 }, env)).toMatchObject({ isolation: 'none', egress: false, maxSessions: 3 });
  });

  it('lets maxReadySessions follow a larger readySessions when it is not set', () => {
    expect(resolvePoolSettings({ readySessions: 40 }, {})).toMatchObject({ readySessions: 40, maxReadySessions: 40 });
    expect(resolvePoolSettings({ readySessions: 2 }, {})).toMatchObject({ readySessions: 2, maxReadySessions: 16 });
  });

  it('names the variable and the flag in errors', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ TIDEPOOL_POOL_MAX_SESSIONS: 'lots' }, /TIDEPOOL_POOL_MAX_SESSIONS \/ --max-sessions.*"lots"/],
      [{ TIDEPOOL_POOL_ISOLATION: 'docker' }, /TIDEPOOL_POOL_ISOLATION \/ --isolation.*bwrap, none/],
      [{ TIDEPOOL_POOL_EGRESS: 'maybe' }, /TIDEPOOL_POOL_EGRESS \/ --egress.*on or off/],
      [{ TIDEPOOL_POOL_COOLDOWN_SECONDS: '0' }, /TIDEPOOL_POOL_COOLDOWN_SECONDS/],
      [{ TIDEPOOL_POOL_MAX_SESSIONS: '2', TIDEPOOL_POOL_READY_SESSIONS: '5' }, /cannot exceed maxSessions/],
      [{ TIDEPOOL_POOL_MAX_READY_SESSIONS: '-1' }, /TIDEPOOL_POOL_MAX_READY_SESSIONS \/ --max-ready-sessions.*0 or more/],
      [{ TIDEPOOL_POOL_READY_SESSIONS: '8', TIDEPOOL_POOL_MAX_READY_SESSIONS: '6' }, /TIDEPOOL_POOL_MAX_READY_SESSIONS.*\(6\) cannot be below readySessions \(8\)/],
    ];
    for (const [env, message] of cases) {
      let caught: unknown;
      try {
        resolvePoolSettings({}, env);
      } catch (error) {
        caught = error;
      }
      expect(caught, JSON.stringify(env)).toBeInstanceOf(ConfigurationError);
      expect((caught as ConfigurationError).code).toBe('configuration');
      expect((caught as ConfigurationError).message).toMatch(message);
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
});

describe('resolveServerLimits', () => {
  it('uses the documented defaults when nothing is set', () => {
    expect(resolveServerLimits({}, {})).toEqual({
      maxConnections: 1024,
      maxConnectionsPerClient: 256,
      headersTimeoutMs: 20_000,
      requestTimeoutMs: 300_000,
      keepAliveTimeoutMs: 10_000,
      resultStoreMb: 256,
      maxResultMb: 16,
      pendingCodeMb: 64,
    });
  });

  it('reads every variable, options win, and bad values name the variable and the flag', () => {
    const env = {
      TIDEPOOL_POOL_MAX_CONNECTIONS: '50',
      TIDEPOOL_POOL_MAX_CONNECTIONS_PER_CLIENT: '5',
      TIDEPOOL_POOL_HEADERS_TIMEOUT_MS: '1000',
      TIDEPOOL_POOL_REQUEST_TIMEOUT_MS: '2000',
      TIDEPOOL_POOL_KEEP_ALIVE_TIMEOUT_MS: '3000',
      TIDEPOOL_POOL_RESULT_STORE_MB: '64',
      TIDEPOOL_POOL_MAX_RESULT_MB: '8',
      TIDEPOOL_POOL_PENDING_CODE_MB: '48',
    };
    expect(resolveServerLimits({}, env)).toEqual({
      maxConnections: 50,
      maxConnectionsPerClient: 5,
      headersTimeoutMs: 1000,
      requestTimeoutMs: 2000,
      keepAliveTimeoutMs: 3000,
      resultStoreMb: 64,
      maxResultMb: 8,
      pendingCodeMb: 48,
    });
    expect(resolveServerLimits({ maxConnections: 7 }, env).maxConnections).toBe(7);
    expect(() => resolveServerLimits({}, { TIDEPOOL_POOL_MAX_CONNECTIONS: '0' })).toThrow(/TIDEPOOL_POOL_MAX_CONNECTIONS \/ --max-connections/);
    expect(() => resolveServerLimits({}, { TIDEPOOL_POOL_HEADERS_TIMEOUT_MS: '5000', TIDEPOOL_POOL_REQUEST_TIMEOUT_MS: '1000' })).toThrow(/cannot exceed requestTimeoutMs/);
    expect(() => resolveServerLimits({}, { TIDEPOOL_POOL_MAX_RESULT_MB: '300' })).toThrow(/--max-result-mb.*cannot exceed resultStoreMb/);
    expect(() => resolveServerLimits({}, { TIDEPOOL_POOL_PENDING_CODE_MB: '31' })).toThrow(/TIDEPOOL_POOL_PENDING_CODE_MB \/ --pending-code-mb.*at least 32/);
  });
});

describe('resolvePoolServerSettings', () => {
  const fixes = /Set --api-key\/TIDEPOOL_POOL_API_KEYS, or --egress off\.$/;

  it('refuses egress on a pool without an API key, naming both fixes', () => {
    for (const [options, env] of [
      [{ egress: true }, {}],
      [{}, { TIDEPOOL_POOL_EGRESS: 'on' }],
    ] as const) {
      let caught: unknown;
      try {
        resolvePoolServerSettings(options, env);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(ConfigurationError);
      expect((caught as ConfigurationError).code).toBe('configuration');
      expect((caught as ConfigurationError).message).toMatch(fixes);
      expect((caught as ConfigurationError).message).not.toContain('\n');
    }
  });

  it('allows egress with a key, and no key with egress off on loopback', () => {
    expect(resolvePoolServerSettings({ egress: true, apiKeys: ['k'] }, {}).pool.egress).toBe(true);
    expect(resolvePoolServerSettings({}, { TIDEPOOL_POOL_EGRESS: 'on', TIDEPOOL_POOL_API_KEYS: 'k' }).listen.apiKeys).toEqual(['k']);
    expect(resolvePoolServerSettings({}, {})).toMatchObject({ listen: { host: '127.0.0.1', apiKeys: [] }, pool: { egress: false }, limits: { maxConnections: 1024 } });
  });

  it('still refuses a keyless bind beyond loopback', () => {
    expect(() => resolvePoolServerSettings({ host: '0.0.0.0' }, {})).toThrow(/--api-key.*127\.0\.0\.1/);
  });
});
