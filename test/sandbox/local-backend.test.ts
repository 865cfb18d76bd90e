import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigurationError, createLocalSandbox, InvalidInputError, NotFoundError, SessionLostError, type LifecycleEvent, type LocalSandbox } from '../../src/index.js';

let sandbox: LocalSandbox;
const events: LifecycleEvent[] = [];

beforeAll(() => {
  sandbox = createLocalSandbox({ interruptGraceMs: 500, outputLimitBytes: 10_000, onLifecycle: (event) => events.push(event) });
});

afterAll(async () => {
  await sandbox.close();
});

describe('Local backend: cells', () => {
  it('keeps globals between cells of one session, and separates sessions', async () => {
    const one = sandbox.session('state-one');
    const two = sandbox.session('state-two');
    await one.execute('x = 21');
    expect((await one.execute('x * 2')).result).toBe(42);
    const other = await two.execute('x');
    expect(other.status).toBe('failure');
    expect(other.error?.type).toBe('NameError');
  });

  it('returns the last expression like a notebook, for each kind of value', async () => {
    const session = sandbox.session('results');
    expect((await session.execute('6 * 7')).result).toBe(42);
    expect((await session.execute('0.5 + 0.25')).result).toBe(0.75);
    expect((await session.execute('"hello"')).result).toBe('hello');
    expect((await session.execute('True')).result).toBe(true);
    expect((await session.execute('a = None\na')).result).toBeNull();
    expect((await session.execute("{'a': 1, 'b': 'x'}")).result).toBe("{'a': 1, 'b': 'x'}");
    expect((await session.execute("float('nan')")).result).toBe('nan');
    expect((await session.execute('2**64')).result).toBe('18446744073709551616');
    const printed = await session.execute("print('hello world')");
    expect(printed.stdout).toBe('hello world\n');
    expect(printed.result).toBeNull();
    expect((await session.execute('y = 3')).result).toBeNull();
  });

  it('returns an open matplotlib figure once, as a PNG in images', async () => {
    const session = sandbox.session('image');
    const result = await session.execute('import matplotlib.pyplot as plt\nplt.plot([1, 3, 2])\nplt.show()');
    expect(result.status).toBe('success');
    expect(result.result).toBeNull();
    expect(result.images).toHaveLength(1);
    expect(result.images[0]).toMatchObject({ type: 'image', format: 'png' });
    const png = Buffer.from(result.images[0]!.base64_data, 'base64');
    expect(png.subarray(1, 4).toString('ascii')).toBe('PNG');
  });

  it('reports an exception with type, message and traceback, and stays usable', async () => {
    const session = sandbox.session('errors');
    const result = await session.execute('def f():\n    return 1 / 0\nf()');
    expect(result.status).toBe('failure');
    expect(result.error).toMatchObject({ type: 'ZeroDivisionError', message: 'division by zero' });
    expect(result.error?.traceback).toContain('line 2, in f');
    expect(result.error?.traceback).not.toContain('tidepool_kernel');
    const syntax = await session.execute('def broken(:');
    expect(syntax.error?.type).toBe('SyntaxError');
    expect((await session.execute('1 + 1')).result).toBe(2);
  });

  it('captures stdout and stderr separately, including output of child processes', async () => {
    const session = sandbox.session('streams');
    const result = await session.execute("import sys, os\nprint('out')\nprint('err', file=sys.stderr)\nos.system('echo from-shell')");
    expect(result.stdout).toBe('out\nfrom-shell\n');
    expect(result.stderr).toBe('err\n');
  });

  it('truncates output beyond the cap with a marker', async () => {
    const result = await sandbox.session('truncate').execute("print('x' * 50_000)");
    expect(result.stdout.length).toBeLessThan(11_000);
    expect(result.stdout).toMatch(/\[output truncated: \d+ more bytes\]/);
  });

  it('round-trips UTF-8 and emoji in code, output and results', async () => {
    const result = await sandbox.session('utf8').execute("s = 'héllo wörld 🌊☁️ 日本'\nprint(s)\ns");
    expect(result.stdout).toBe('héllo wörld 🌊☁️ 日本\n');
    expect(result.result).toBe('héllo wörld 🌊☁️ 日本');
  });

  it('runs parallel executions on one session one at a time, in order', async () => {
    const session = sandbox.session('ordered');
    await session.execute('log = []');
    const runs = Array.from({ length: 8 }, (_, i) => session.execute(`import time\ntime.sleep(0.01 * (${8 - i}))\nlog.append(${i})\nlen(log)`));
    const results = await Promise.all(runs);
    expect(results.map((result) => result.result)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect((await session.execute('log')).result).toBe('[0, 1, 2, 3, 4, 5, 6, 7]');
  });
});

describe('Local backend: timeouts and dead kernels', () => {
  it('interrupts `while True: pass` at the timeout and keeps the session', async () => {
    const session = sandbox.session('timeout');
    await session.execute('kept = 1');
    const result = await session.execute('while True: pass', { timeoutMs: 300 });
    expect(result.status).toBe('failure');
    expect(result.error?.type).toBe('TimeoutError');
    expect(result.error?.message).toContain('timeoutMs (300)');
    expect(result.error?.message).toContain('variables are kept');
    expect((await session.execute('kept')).result).toBe(1);
  });

  it('kills a cell that ignores the interrupt, reports the lost state, and starts fresh', async () => {
    const session = sandbox.session('stubborn');
    await session.execute('kept = 1');
    const result = await session.execute('import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True: pass', { timeoutMs: 200 });
    expect(result.error?.type).toBe('TimeoutError');
    expect(result.error?.message).toContain('state (variables, imports) was lost');
    const next = await session.execute('kept');
    expect(next.stderr).toContain('variables were lost');
    expect(next.error?.type).toBe('NameError');
    expect((await session.execute('1')).stderr).toBe('');
  });

  it('turns a kernel that dies mid-cell into SessionLostError, then recovers', async () => {
    const session = sandbox.session('dies');
    await expect(session.execute('import os\nos._exit(3)')).rejects.toThrow(SessionLostError);
    const next = await session.execute('6 * 7');
    expect(next.result).toBe(42);
    expect(next.stderr).toContain('variables were lost');
  });

  it('rejects bad input with clear errors before running anything', async () => {
    const session = sandbox.session('input');
    await expect(session.execute('   ')).rejects.toThrow(/Code is empty/);
    await expect(session.execute('1', { timeoutMs: 0 })).rejects.toThrow(/positive number/);
    await expect(session.execute('1', { timeoutMs: Number.NaN })).rejects.toThrow(InvalidInputError);
    await expect(session.execute('bad \uFFFD text')).rejects.toThrow(/UTF-8/);
  });

  it('stops a cell when the caller aborts', async () => {
    const session = sandbox.session('abort');
    const controller = new AbortController();
    const running = session.execute("import time\nopen('running', 'w').close()\nwhile True: time.sleep(0.01)", { signal: controller.signal });
    running.catch(() => undefined);
    // Abort once the cell is surely running: it has written its marker file.
    await vi.waitFor(() => expect(session.dataDir && existsSync(path.join(session.dataDir, 'running'))).toBe(true), { timeout: 30_000, interval: 10 });
    controller.abort(new Error('user cancelled'));
    await expect(running).rejects.toThrow('user cancelled');
    expect((await session.execute('2 + 2')).result).toBe(4);
  });

  it('says how to fix a missing interpreter', async () => {
    const broken = createLocalSandbox({ pythonPath: '/nonexistent/python3' });
    await expect(broken.session().execute('1')).rejects.toThrow(/TIDEPOOL_PYTHON|tidepool doctor/);
    await broken.close();
  });
});

describe('Local backend: files', () => {
  it('uploads, lists, downloads and deletes files in the session data directory', async () => {
    const session = sandbox.session('files');
    const bytes = new Uint8Array([0, 1, 2, 250, 255]);
    await session.upload('/mnt/data/bin/data.bin', bytes);
    await session.upload('notes 🌊.txt', new TextEncoder().encode('héllo'));
    const names = (await session.list()).map((file) => file.name).sort();
    expect(names).toEqual(['bin/data.bin', 'notes 🌊.txt']);
    expect(await session.download('bin/data.bin')).toEqual(bytes);
    const seen = await session.execute("open('notes 🌊.txt').read()");
    expect(seen.result).toBe('héllo');
    await session.execute("open('made-by-code.txt', 'w').write('hi')");
    expect(new TextDecoder().decode(await session.download('/mnt/data/made-by-code.txt'))).toBe('hi');
    await session.delete!('made-by-code.txt');
    await expect(session.download('made-by-code.txt')).rejects.toThrow(NotFoundError);
  });

  it('refuses names and symlinks that lead outside the data directory', async () => {
    const session = sandbox.session('escape');
    await expect(session.upload('../escape.txt', new Uint8Array([1]))).rejects.toThrow(InvalidInputError);
    await expect(session.download('/etc/passwd')).rejects.toThrow(InvalidInputError);
    await session.execute("import os\nos.symlink('/etc/hostname', 'link')");
    await expect(session.download('link')).rejects.toThrow(/outside the data directory/);
  });

  it('tells code where /mnt/data is on this backend', async () => {
    const session = sandbox.session('mount-hint');
    const result = await session.execute("open('/mnt/data/missing.txt')");
    expect(result.error?.message).toContain('TIDEPOOL_DATA_DIR');
    const dir = (await session.execute("import os\nos.environ['TIDEPOOL_DATA_DIR']")).result as string;
    expect(dir).toBe((await session.execute('import os\nos.getcwd()')).result);
  });

  it('removes the data directory and the kernel on close', async () => {
    const session = sandbox.session('closing');
    await session.execute('1');
    const dir = session.dataDir!;
    await writeFile(`${dir}/x.txt`, 'x');
    await session.close();
    expect(existsSync(dir)).toBe(false);
    expect(events.some((event) => event.identifier === 'closing' && event.phase === 'closed')).toBe(true);
    await expect(session.execute('1')).rejects.toThrow(/closed/);
  });

  it('reports lifecycle phases in order for a session', () => {
    const phases = events.filter((event) => event.identifier === 'state-one').map((event) => event.phase);
    expect(phases.slice(0, 4)).toEqual(['creating', 'ready', 'executing', 'finished']);
  });
});

describe('Local backend: languages', () => {
  it('runs Python, JavaScript and shell commands in one session: each keeps its own state, all share the data directory', async () => {
    const session = sandbox.session('languages');
    await session.execute("open('from-python.txt', 'w').write('py')");
    await session.execute('var fromJs = 1', { language: 'javascript' });
    expect(await session.execute("require('node:fs').readFileSync('from-python.txt', 'utf8')", { language: 'javascript' })).toMatchObject({ result: 'py' });
    expect(await session.execute('cat from-python.txt', { language: 'shell' })).toMatchObject({ stdout: 'py', exitCode: 0 });
    expect((await session.execute('fromJs')).error?.type).toBe('NameError');
    const phases = events.filter((event) => event.identifier === 'languages').map((event) => event.phase);
    expect(phases.filter((phase) => phase === 'creating')).toHaveLength(1);
    expect(phases.filter((phase) => phase === 'ready')).toHaveLength(1);
  });

  it('says so when the JavaScript kernel cannot start, and the Python kernel is unaffected', async () => {
    const broken = createLocalSandbox({ nodePath: '/nonexistent/node' });
    const session = broken.session();
    expect((await session.execute('6 * 7')).result).toBe(42);
    const failed = session.execute('1', { language: 'javascript' });
    await expect(failed).rejects.toBeInstanceOf(ConfigurationError);
    await expect(failed).rejects.toThrow(/The JavaScript kernel did not start/);
    expect((await session.execute('6 * 7')).result).toBe(42);
    await broken.close();
  });

  it('starts a fresh JavaScript kernel after its process died, saying the variables were lost', async () => {
    const session = sandbox.session('js-died');
    await session.execute('var kept = 1', { language: 'javascript' });
    await expect(session.execute('process.kill(process.pid, "SIGKILL")', { language: 'javascript' })).rejects.toBeInstanceOf(SessionLostError);
    const after = await session.execute('typeof kept', { language: 'javascript' });
    expect(after).toMatchObject({ status: 'success', result: 'undefined' });
    expect(after.stderr).toContain('previous kernel stopped');
  });
});

describe('Local backend: closing while a kernel starts', () => {
  it('ends the kernel that was starting and fails its execution as closed', async () => {
    const session = sandbox.session('close-while-starting');
    const running = session.execute('1', { language: 'javascript' });
    await session.close();
    await expect(running).rejects.toThrow(/closed/);
    expect(session.dataDir === undefined || !existsSync(session.dataDir)).toBe(true);
  });
});
