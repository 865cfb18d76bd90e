/** Sandbox-Daytona's adapter: settings, reconnect by id, error mapping and cleanup, against the fake SDK. */
import { afterEach, describe, expect, it } from 'vitest';
import {
  DaytonaAuthenticationError,
  DaytonaConnectionError,
  DaytonaRateLimitError,
  DaytonaServiceUnavailableError,
} from '@daytonaio/sdk';
import {
  AuthenticationError,
  CapacityError,
  ConfigurationError,
  createDaytonaSandbox,
  createSandbox,
  DaytonaSandbox,
  TransportError,
  type LifecycleEvent,
} from '../../src/index.js';
import type { DaytonaSessionRecord } from '../../src/sandbox/backends/daytona/daytona-session.js';
import { closeWorld, fakeDaytonaClass, newWorld, type FakeDaytonaWorld } from './fake-daytona.js';

let world: FakeDaytonaWorld;
const open: DaytonaSandbox[] = [];

function sandbox(options: Parameters<typeof createDaytonaSandbox>[0] = {}) {
  world ??= newWorld();
  const created = createDaytonaSandbox({ apiKey: 'test-key', env: {}, sdk: { Daytona: fakeDaytonaClass(world) }, ...options });
  open.push(created);
  return created;
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((each) => each.close()));
  if (world) await closeWorld(world);
  world = newWorld();
});

describe('Sandbox-Daytona settings', () => {
  it('names DAYTONA_API_KEY when no key is set, before any SDK call or lifecycle event', async () => {
    world = newWorld();
    const events: LifecycleEvent[] = [];
    const backend = createDaytonaSandbox({ env: {}, sdk: { Daytona: fakeDaytonaClass(world) }, onLifecycle: (event) => events.push(event) });
    const error = await backend.session('s').execute('1').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toContain('DAYTONA_API_KEY');
    expect(world.configs).toHaveLength(0);
    expect(events).toHaveLength(0);
  });

  it('passes the key, API URL and target from the environment to the client', async () => {
    world = newWorld();
    const backend = createDaytonaSandbox({
      env: { DAYTONA_API_KEY: 'env-key', DAYTONA_API_URL: 'https://daytona.example/api', DAYTONA_TARGET: 'eu' },
      sdk: { Daytona: fakeDaytonaClass(world) },
    });
    open.push(backend);
    await backend.session('s').execute('1');
    expect(world.configs).toEqual([{ apiKey: 'env-key', apiUrl: 'https://daytona.example/api', target: 'eu' }]);
    expect(world.created[0]).toMatchObject({ language: 'python', labels: { 'tidepool-session': 's' }, autoStopInterval: 15 });
  });

  it('is registered in the factory under its name and alias, with its banner', () => {
    const viaAlias = createSandbox('daytona', { daytona: { apiKey: 'k' } });
    expect(viaAlias).toBeInstanceOf(DaytonaSandbox);
    expect(viaAlias.type).toBe('Sandbox-Daytona');
    expect(viaAlias.banner).toBe('🔒 [Daytona Sandbox]');
  });
});

describe('Sandbox-Daytona sessions', () => {
  it('reconnects to the same sandbox and context by id from another instance sharing the registry', async () => {
    const registry = new Map<string, DaytonaSessionRecord>();
    const events: LifecycleEvent[] = [];
    const first = sandbox({ sessionRegistry: registry });
    await first.session('trip').execute('city = "Boston"');
    const sandboxId = registry.get('trip')?.sandboxId;
    expect(sandboxId).toBe('sbx-1');
    const second = sandbox({ sessionRegistry: registry, onLifecycle: (event) => events.push(event) });
    const result = await second.session('trip').execute('city');
    expect(result.result).toBe('Boston');
    expect(world.calls).toContain(`get ${sandboxId}`);
    expect(world.calls.filter((call) => call === 'create')).toHaveLength(1);
    expect(events.find((event) => event.phase === 'ready')?.reused).toBe(true);
  });

  it('starts a new sandbox, and says the state was lost, when the recorded one is gone', async () => {
    const registry = new Map<string, DaytonaSessionRecord>([['trip', { sandboxId: 'sbx-gone', context: { id: 'ctx-x', cwd: '/mnt/data', language: 'python', active: true, createdAt: '' } }]]);
    const result = await sandbox({ sessionRegistry: registry }).session('trip').execute('1 + 1');
    expect(result.result).toBe(2);
    expect(result.stderr).toMatch(/variables were lost/);
    expect(registry.get('trip')?.sandboxId).toBe('sbx-1');
  });

  it('replaces the interpreter context after a timeout and says so', async () => {
    const session = sandbox().session('slow');
    await session.execute('x = 1');
    const timedOut = await session.execute('while True: pass', { timeoutMs: 500 });
    expect(timedOut.error?.type).toBe('TimeoutError');
    expect(timedOut.error?.message).toMatch(/variables were lost/);
    expect(world.calls).toContain('deleteContext ctx-1');
    expect(world.calls).toContain('createContext ctx-2');
    expect((await session.execute('x')).error?.type).toBe('NameError');
  });

  it('stops a cell when the caller aborts, replacing the context, and the next cell works', async () => {
    const session = sandbox().session('abort');
    await session.execute('1');
    const controller = new AbortController();
    const running = session.execute('while True: pass', { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('user pressed stop')), 300);
    await expect(running).rejects.toThrow('user pressed stop');
    expect(world.calls).toContain('deleteContext ctx-1');
    expect((await session.execute('2 + 2')).result).toBe(4);
  });

  it('deletes the sandbox on close, and only once', async () => {
    const backend = sandbox();
    const session = backend.session('bye');
    await session.execute('1');
    await backend.close();
    await session.close();
    expect(world.calls.filter((call) => call.startsWith('delete '))).toEqual(['delete sbx-1']);
    await expect(session.execute('1')).rejects.toMatchObject({ code: 'invalid_input' });
  });
});

describe('Sandbox-Daytona errors, mapped by SDK class with the cause kept', () => {
  it.each([
    [new DaytonaAuthenticationError('Invalid API key', 401), AuthenticationError, /DAYTONA_API_KEY/],
    [new DaytonaRateLimitError('Too many requests', 429), CapacityError, /rate limited/],
    [new DaytonaServiceUnavailableError('No capacity', 503), CapacityError, /unavailable/],
    [new DaytonaConnectionError('socket hang up'), TransportError, /socket hang up/],
  ])('%s', async (sdkError, expected, message) => {
    world = newWorld();
    world.failCreate = sdkError;
    const error = await sandbox().session('s').execute('1').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(expected);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).cause).toBe(sdkError);
  });

  it('keeps the status code and marks capacity errors retryable', async () => {
    world = newWorld();
    world.failCreate = new DaytonaRateLimitError('Too many requests', 429);
    const error = (await sandbox().session('s').execute('1').catch((caught: unknown) => caught)) as CapacityError;
    expect(error.statusCode).toBe(429);
    expect(error.isRetryable).toBe(true);
  });
});
