/** Sandbox-E2B's adapter: results, images, errors, files and reconnect-by-id, against the fake SDK. */
import { afterEach, describe, expect, it } from 'vitest';
import { AuthenticationError as E2BAuthenticationError, FileNotFoundError, RateLimitError, SandboxError as E2BSandboxError, ServiceBusyError, TimeoutError } from '@e2b/code-interpreter';
import type { Result } from '@e2b/code-interpreter';
import {
  AuthenticationError,
  CapacityError,
  ConfigurationError,
  createE2BSandbox,
  createSandbox,
  E2BSandbox,
  NotFoundError,
  SessionLostError,
  TransportError,
  type LifecycleEvent,
} from '../../src/index.js';
import type { E2BResult } from '../../src/sandbox/backends/e2b/e2b-sdk.js';
import type { E2BSessionRecord } from '../../src/sandbox/backends/e2b/e2b-session.js';
import { execution, fakeSandboxFactory, newWorld, type CellScript, type FakeE2BWorld } from './fake-e2b.js';

const SETUP = "import os\nos.makedirs('/mnt/data', exist_ok=True)\nos.chdir('/mnt/data')";
const PNG_BASE64 = Buffer.from('\x89PNG\r\n\x1a\nfake', 'latin1').toString('base64');

let world: FakeE2BWorld;
const open: E2BSandbox[] = [];

function backend(script: CellScript, options: Parameters<typeof createE2BSandbox>[0] = {}): E2BSandbox {
  world = newWorld(script);
  const created = createE2BSandbox({ apiKey: 'e2b_test', env: {}, sdk: { Sandbox: fakeSandboxFactory(world) }, ...options });
  open.push(created);
  return created;
}

/** A main result as Jupyter reports the last expression: its text/plain and any other formats. */
function main(parts: Omit<E2BResult, 'isMainResult'>): E2BResult {
  return { isMainResult: true, ...parts } satisfies Pick<Result, 'isMainResult' | 'text' | 'png'>;
}

function userCalls(): string[] {
  return world.calls.filter((call) => call.startsWith('runCode') && call !== `runCode ${SETUP}`);
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((each) => each.close()));
});

describe('Sandbox-E2B settings and startup', () => {
  it('names E2B_API_KEY when no key is set, before any SDK call or lifecycle event', async () => {
    const events: LifecycleEvent[] = [];
    world = newWorld();
    const sandbox = createE2BSandbox({ env: {}, sdk: { Sandbox: fakeSandboxFactory(world) }, onLifecycle: (event) => events.push(event) });
    const error = await sandbox.session('s').execute('1').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toContain('E2B_API_KEY');
    expect(world.calls).toEqual([]);
    expect(events).toEqual([]);
  });

  it('creates one sandbox per session, prepares /mnt/data as root and runs cells in a context there', async () => {
    world = newWorld();
    const keyed = createE2BSandbox({ env: { E2B_API_KEY: 'e2b_env', E2B_TEMPLATE: 'my-template', E2B_SANDBOX_TIMEOUT_MS: '400000' }, sdk: { Sandbox: fakeSandboxFactory(world) } });
    open.push(keyed);
    await keyed.session('trip').execute('x = 1', { timeoutMs: 5000 });
    await keyed.session('trip').execute('x');
    expect(world.created).toEqual([
      expect.objectContaining({ apiKey: 'e2b_env', template: 'my-template', timeoutMs: 400_000, metadata: { tidepoolSession: 'trip' } }),
    ]);
    expect(world.calls.slice(0, 4)).toEqual([
      'create',
      'commands.run root mkdir -p /mnt/data && chmod 1777 /mnt/data',
      'createCodeContext /mnt/data python',
      `runCode ${SETUP}`,
    ]);
    expect(userCalls()).toEqual(['runCode x = 1', 'runCode x']);
  });

  it('is registered in the factory under its name and alias, with its banner', () => {
    const viaAlias = createSandbox('e2b', { e2b: { apiKey: 'k' } });
    expect(viaAlias).toBeInstanceOf(E2BSandbox);
    expect(viaAlias.type).toBe('Sandbox-E2B');
    expect(viaAlias.banner).toBe('🔒 [E2B Sandbox]');
  });

  it('reports creating → ready → executing → finished → closed with timings', async () => {
    const events: LifecycleEvent[] = [];
    let now = 0;
    const sandbox = backend(
      () => {
        now += 30;
        return execution();
      },
      { onLifecycle: (event) => events.push(event), clock: () => now },
    );
    await sandbox.session('timed').execute('pass');
    await sandbox.close();
    expect(events.map((event) => [event.phase, event.stepMs])).toEqual([
      ['creating', undefined],
      ['ready', 30],
      ['executing', undefined],
      ['finished', 30],
      ['closed', undefined],
    ]);
  });
});

describe('Sandbox-E2B results', () => {
  const cell = (code: string, answer: E2BResult[], extra: Parameters<typeof execution>[0] = {}) => {
    const sandbox = backend((source) => (source === code ? execution({ results: answer, ...extra }) : execution()));
    return sandbox.session('results').execute(code);
  };

  it.each([
    ['42', 42],
    ['0.75', 0.75],
    ['-1e-05', -0.00001],
    ['True', true],
    ['False', false],
    ["'hello'", 'hello'],
    ['"it\'s"', "it's"],
    ["'a\\nb 🌊 \\x41'", 'a\nb 🌊 A'],
    ["{'a': 1, 'b': 'x'}", "{'a': 1, 'b': 'x'}"],
    ['nan', 'nan'],
    ['18446744073709551616', '18446744073709551616'],
    ['array([1, 2])', 'array([1, 2])'],
  ])('maps text/plain %s to %j', async (text, expected) => {
    expect((await cell('value', [main({ text })])).result).toEqual(expected);
  });

  it('returns null when the cell has no last expression', async () => {
    const result = await cell('y = 3', []);
    expect(result).toMatchObject({ status: 'success', result: null, images: [] });
  });

  it('joins stdout and stderr chunks', async () => {
    const result = await cell('print', [], { logs: { stdout: ['a\n', 'b\n'], stderr: ['warn\n'] } });
    expect(result).toMatchObject({ stdout: 'a\nb\n', stderr: 'warn\n' });
  });

  it('returns pictures in images only, once, and a plotted figure as no value rather than its repr', async () => {
    const figure = { isMainResult: false, png: PNG_BASE64, text: '<Figure size 640x480 with 1 Axes>' };
    const shown = await cell('plt.show()', [figure]);
    expect(shown.result).toBeNull();
    expect(shown.images).toEqual([{ type: 'image', format: 'png', base64_data: PNG_BASE64 }]);
    const artist = await cell('plt.plot([1])', [figure, main({ text: '[<matplotlib.lines.Line2D at 0x7f>]' })]);
    expect(artist.result).toBeNull();
    expect(artist.images).toHaveLength(1);
    const value = await cell('plot then value', [figure, main({ text: '7' })]);
    expect(value.result).toBe(7);
    expect(value.images).toHaveLength(1);
    // Jupyter shows a figure that is the last expression twice: as the value and as an open figure.
    const last = await cell('fig', [main({ png: PNG_BASE64, text: '<Figure size 640x480 with 1 Axes>' }), figure]);
    expect(last.result).toBeNull();
    expect(last.images).toHaveLength(1);
  });

  it('maps an error with name, value and traceback to a failure, without ANSI colours', async () => {
    const traceback = '\u001b[0;31m---------------------------------------------------------------------------\u001b[0m\n\u001b[0;31mZeroDivisionError\u001b[0m: division by zero';
    const result = await cell('1 / 0', [], { error: { name: 'ZeroDivisionError', value: 'division by zero', traceback } });
    expect(result.status).toBe('failure');
    expect(result.error).toEqual({ type: 'ZeroDivisionError', message: 'division by zero', traceback: expect.stringContaining('ZeroDivisionError: division by zero') });
    expect(result.error?.traceback).not.toContain('\u001b');
  });

  it('caps each stream at outputLimitBytes with the Local marker, never splitting a character', async () => {
    const sandbox = backend(() => execution({ logs: { stdout: ['🌊'.repeat(10)], stderr: [] } }), { outputLimitBytes: 10 });
    const result = await sandbox.session('cap').execute('print');
    expect(result.stdout).toBe('🌊🌊\n[output truncated: 32 more bytes]\n');
  });
});

describe('Sandbox-E2B timeouts and lost sandboxes', () => {
  it('restarts the context when a cell times out, reports TimeoutError, and the next cell runs', async () => {
    const sandbox = backend((code) => {
      if (code === 'while True: pass') throw new TimeoutError("Execution timed out — the 'timeoutMs' option can be used to increase this timeout");
      return execution({ results: code === '1 + 1' ? [main({ text: '2' })] : [] });
    });
    const session = sandbox.session('slow');
    const result = await session.execute('while True: pass', { timeoutMs: 1500 });
    expect(result.status).toBe('failure');
    expect(result.error?.type).toBe('TimeoutError');
    expect(result.error?.message).toContain('timeoutMs (1500)');
    expect(world.calls).toContain('restartCodeContext ctx-1');
    expect((await session.execute('1 + 1')).result).toBe(2);
    expect(world.calls.filter((call) => call === 'create')).toHaveLength(1);
  });

  it('throws SessionLostError when the sandbox is gone, then starts a new one and says so', async () => {
    const sandbox = backend((code) => {
      if (code === 'while True: pass') throw new TimeoutError('The sandbox was killed while the request was in progress.');
      return execution({ results: [main({ text: '2' })] });
    });
    const session = sandbox.session('killed');
    await session.execute('1');
    world.sandboxes.get('e2b-1')!.restartFails = true;
    const lost = await session.execute('while True: pass', { timeoutMs: 1000 }).catch((error: unknown) => error);
    expect(lost).toBeInstanceOf(SessionLostError);
    expect((lost as Error).cause).toBeInstanceOf(TimeoutError);
    const next = await session.execute('1 + 1');
    expect(next.result).toBe(2);
    expect(next.stderr).toMatch(/variables and files were lost/);
    expect(world.calls.filter((call) => call === 'create')).toHaveLength(2);
  });

  it('stops a cell when the caller aborts, restarting the context', async () => {
    const controller = new AbortController();
    const sandbox = backend((code) => {
      if (code === 'slow') {
        controller.abort(new Error('user pressed stop'));
        return new Promise(() => {});
      }
      return execution();
    });
    await expect(sandbox.session('abort').execute('slow', { signal: controller.signal })).rejects.toThrow('user pressed stop');
    expect(world.calls).toContain('restartCodeContext ctx-1');
  });

  it('extends the sandbox lifetime before a cell that could outlive it', async () => {
    const sandbox = backend(() => execution(), { sandboxTimeoutMs: 60_000 });
    await sandbox.session('long').execute('pass', { timeoutMs: 120_000 });
    expect(world.calls).toContain('setTimeout 180000');
  });
});

describe('Sandbox-E2B reconnect by sandbox id', () => {
  it('connects to the recorded sandbox and context instead of creating one', async () => {
    const registry = new Map<string, E2BSessionRecord>();
    const contexts: (string | undefined)[] = [];
    const first = backend((_code, opts) => {
      contexts.push(opts.context?.id);
      return execution();
    }, { sessionRegistry: registry });
    await first.session('trip').execute('x = 1');
    const events: LifecycleEvent[] = [];
    const second = createE2BSandbox({ apiKey: 'e2b_test', env: {}, sessionRegistry: registry, sdk: { Sandbox: fakeSandboxFactory(world) }, onLifecycle: (event) => events.push(event) });
    open.push(second);
    await second.session('trip').execute('x');
    expect(world.connected).toEqual([{ sandboxId: 'e2b-1', opts: expect.objectContaining({ apiKey: 'e2b_test' }) }]);
    expect(world.calls.filter((call) => call === 'create')).toHaveLength(1);
    expect(contexts.at(-1)).toBe('ctx-1');
    expect(events.find((event) => event.phase === 'ready')?.reused).toBe(true);
  });

  it('creates a new sandbox with a notice when the recorded one has expired', async () => {
    const registry = new Map<string, E2BSessionRecord>([['trip', { sandboxId: 'e2b-expired', context: { id: 'ctx-9', language: 'python', cwd: '/mnt/data' } }]]);
    const sandbox = backend(() => execution(), { sessionRegistry: registry });
    const result = await sandbox.session('trip').execute('1');
    expect(world.calls.slice(0, 2)).toEqual(['connect e2b-expired', 'create']);
    expect(result.stderr).toMatch(/lost/);
    expect(registry.get('trip')?.sandboxId).toBe('e2b-1');
  });

  it('kills the sandbox on close and forgets it', async () => {
    const registry = new Map<string, E2BSessionRecord>();
    const sandbox = backend(() => execution(), { sessionRegistry: registry });
    const session = sandbox.session('bye');
    await session.execute('1');
    await session.close();
    await sandbox.close();
    expect(world.calls.filter((call) => call.startsWith('kill'))).toEqual(['kill e2b-1']);
    expect(registry.size).toBe(0);
    await expect(session.execute('1')).rejects.toMatchObject({ code: 'invalid_input' });
  });
});

describe('Sandbox-E2B files on /mnt/data', () => {
  it('maps names under /mnt/data for upload, list, download and delete', async () => {
    const session = backend(() => execution()).session('files');
    const info = await session.upload('/mnt/data/sub/a.csv', new TextEncoder().encode('a,b'));
    expect(info).toMatchObject({ name: 'sub/a.csv', sizeBytes: 3 });
    await session.upload('./b.txt', new Uint8Array([1, 2]));
    await session.upload('.hidden/c', new Uint8Array([1]));
    expect(world.calls).toContain('write /mnt/data/sub/a.csv');
    expect(world.calls).toContain('write /mnt/data/b.txt');
    expect((await session.list()).map((file) => [file.name, file.sizeBytes])).toEqual([
      ['sub/a.csv', 3],
      ['b.txt', 2],
    ]);
    expect(new TextDecoder().decode(await session.download('sub/a.csv'))).toBe('a,b');
    await session.delete!('b.txt');
    expect(world.calls).toContain('remove /mnt/data/b.txt');
    const missing = await session.download('b.txt').catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(NotFoundError);
    expect((missing as Error).cause).toBeInstanceOf(FileNotFoundError);
  });

  it('rejects names outside /mnt/data without calling E2B', async () => {
    const session = backend(() => execution()).session('escape');
    await expect(session.upload('../etc/passwd', new Uint8Array([1]))).rejects.toMatchObject({ code: 'invalid_input' });
    await expect(session.download('/etc/passwd')).rejects.toMatchObject({ code: 'invalid_input' });
    expect(world.calls).toEqual([]);
  });
});

describe('Sandbox-E2B errors, mapped by SDK class with the cause kept', () => {
  const statusError = Object.assign(new E2BSandboxError('500 Internal Server Error'), { statusCode: 500 });
  it.each([
    [new E2BAuthenticationError('Invalid API key'), AuthenticationError, /E2B_API_KEY/, 401],
    [new RateLimitError('Rate limit exceeded'), CapacityError, /rate limited/, 429],
    [new ServiceBusyError('No capacity'), CapacityError, /busy/, 503],
    [statusError, TransportError, /500 Internal Server Error/, 500],
  ])('%s', async (sdkError, expected, message, statusCode) => {
    const sandbox = backend(() => execution());
    world.failCreate = sdkError;
    const error = await sandbox.session('s').execute('1').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(expected);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).cause).toBe(sdkError);
    expect((error as TransportError).statusCode).toBe(statusCode);
  });
});

describe('Sandbox-E2B languages, each in a code context of its own', () => {
  it('offers Python, JavaScript and shell', async () => {
    expect(await backend(() => execution()).languages()).toEqual(['python', 'javascript', 'shell']);
  });

  it('runs JavaScript in a javascript context made in /mnt/data on first use, and reads its values', async () => {
    const sandbox = backend((code, opts) => {
      if (opts.context?.language !== 'javascript') return execution();
      const values: Record<string, string> = { 'x * 2': '42', 'x > 1': 'true', "'hi'": "'hi'", 'undefined': 'undefined' };
      return execution({ results: code in values ? [main({ text: values[code] })] : [], logs: { stdout: code.startsWith('console') ? ['out\n'] : [], stderr: [] } });
    });
    const session = sandbox.session('js');
    await session.execute('var x = 21', { language: 'javascript' });
    expect((await session.execute('x * 2', { language: 'javascript' })).result).toBe(42);
    expect((await session.execute('x > 1', { language: 'javascript' })).result).toBe(true);
    expect((await session.execute("'hi'", { language: 'javascript' })).result).toBe('hi');
    expect((await session.execute('undefined', { language: 'javascript' })).result).toBeNull();
    expect(await session.execute("console.log('out')", { language: 'javascript' })).toMatchObject({ status: 'success', stdout: 'out\n' });
    expect(world.calls.filter((call) => call.startsWith('createCodeContext'))).toEqual(['createCodeContext /mnt/data python', 'createCodeContext /mnt/data javascript']);
    expect(userCalls()).not.toContain(`runCode ${SETUP}`);
  });

  it('runs shell commands in a bash context: exit code 0 is a success, the code of a failed command a failure', async () => {
    const sandbox = backend((code, opts) => {
      if (code === SETUP) return execution();
      expect(opts.context?.language).toBe('bash');
      if (code === 'exit 3') return execution({ logs: { stdout: [], stderr: ['bad\n'] }, error: { name: '', value: '3', traceback: '' } });
      if (code === 'broken') return execution({ error: { name: 'Error', value: 'no code here', traceback: '' } });
      if (code === 'huge') return execution({ error: { name: '', value: '99999999999', traceback: '' } });
      return execution({ logs: { stdout: ['ok\n'], stderr: [] } });
    });
    const session = sandbox.session('sh');
    expect(await session.execute('echo ok', { language: 'shell' })).toMatchObject({ status: 'success', exitCode: 0, stdout: 'ok\n', result: null });
    const failed = await session.execute('exit 3', { language: 'shell' });
    expect(failed).toMatchObject({ status: 'failure', exitCode: 3, stderr: 'bad\n', error: { type: 'NonZeroExit', message: 'The command exited with code 3.' } });
    expect(await session.execute('broken', { language: 'shell' })).toMatchObject({ status: 'failure', exitCode: 1 });
    expect(await session.execute('huge', { language: 'shell' })).toMatchObject({ status: 'failure', exitCode: 1 });
  });

  it('stops a shell command at its timeout by restarting only the bash context, with exit code 124', async () => {
    const sandbox = backend((code, opts) => {
      if (code === 'sleep 600') throw new TimeoutError('Execution timed out');
      return execution({ logs: { stdout: [`${opts.context?.language}\n`], stderr: [] } });
    });
    const session = sandbox.session('sh-slow');
    const result = await session.execute('sleep 600', { language: 'shell', timeoutMs: 1000 });
    expect(result).toMatchObject({ status: 'failure', exitCode: 124, error: { type: 'TimeoutError' } });
    expect(result.error?.message).toContain('restarting the bash context');
    expect(world.calls).toContain('restartCodeContext ctx-2');
    expect(world.calls).not.toContain('restartCodeContext ctx-1');
    expect((await session.execute('echo again', { language: 'shell' })).stdout).toBe('bash\n');
  });

  it('refuses a language outside the contract before creating a sandbox', async () => {
    const sandbox = backend(() => execution());
    await expect(sandbox.session('cobol').execute('1', { language: 'cobol' as never })).rejects.toMatchObject({ code: 'invalid_input' });
    expect(world.calls).toEqual([]);
  });
});
