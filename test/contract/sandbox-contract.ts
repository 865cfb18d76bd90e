/**
 * The behaviour every sandbox backend promises, as one vitest suite. Each backend's test file
 * calls `defineSandboxContract` with a factory; remote backends pass `skip` with the reason when
 * their credentials are absent.
 */
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import {
  isSandboxError,
  LANGUAGES,
  UnsupportedLanguageError,
  type ExecutionResult,
  type Language,
  type LifecycleEvent,
  type LifecycleListener,
  type Sandbox,
} from '../../src/index.js';
import { describeCellTimeout } from '../../src/sandbox/execution.js';

export interface ContractTarget {
  /** Shown in the test names, e.g. `Local` or `Sandbox-E2B (live)`. */
  name: string;
  /** Makes the sandbox under test; must pass `onLifecycle` through. */
  create(options: { onLifecycle: LifecycleListener }): Sandbox;
  /** Per-cell timeout for the `while True: pass` test; short, but long enough for a remote round trip. */
  shortTimeoutMs: number;
  /** The per-stream output cap the created sandbox enforces; leave out when it has none. */
  outputLimitBytes?: number;
  /** Per-test limit; remote backends need more than the default. */
  testTimeoutMs?: number;
  /** When set, every test is skipped and this reason is printed. */
  skip?: string;
}

const PNG_SIGNATURE = '\x89PNG';

/** The PNG images of a result, decoded; fails unless every image is a PNG. */
function pngs(result: ExecutionResult): Buffer[] {
  return result.images.map((image) => {
    expect(image).toMatchObject({ type: 'image', format: 'png' });
    const png = Buffer.from(image.base64_data, 'base64');
    expect(png.subarray(0, 4).toString('latin1')).toBe(PNG_SIGNATURE);
    return png;
  });
}

export function defineSandboxContract(target: ContractTarget): void {
  if (target.skip) console.info(`[contract] ${target.name}: skipped — ${target.skip}`);
  const title = target.skip ? `${target.name} sandbox contract (skipped: ${target.skip})` : `${target.name} sandbox contract`;

  describe.skipIf(target.skip !== undefined)(title, () => {
    const events: LifecycleEvent[] = [];
    let sandbox: Sandbox;
    const timeout = target.testTimeoutMs;
    const session = (name: string) => sandbox.session(`contract-${name}-${Math.random().toString(36).slice(2, 8)}`);

    beforeAll(() => {
      sandbox = target.create({ onLifecycle: (event) => events.push(event) });
    });

    afterAll(async () => {
      await sandbox?.close();
    }, timeout);

    it('executes a cell: stdout, the last expression, status and duration', async () => {
      const result = await session('execute').execute("print('hi')\n6 * 7");
      expect(result).toMatchObject({ status: 'success', stdout: 'hi\n', result: 42 });
      expect(result.error).toBeUndefined();
      expect(result.durationMs).toBeGreaterThanOrEqual(0);
    }, timeout);

    it('keeps variables between cells of a session, and apart between sessions', async () => {
      const one = session('state-one');
      const two = session('state-two');
      await one.execute('x = 21');
      expect((await one.execute('x * 2')).result).toBe(42);
      const other = await two.execute('x');
      expect(other.status).toBe('failure');
      expect(other.error?.type).toBe('NameError');
      expect(sandbox.session(one.identifier)).toBe(one);
    }, timeout);

    it('returns each kind of result like a notebook', async () => {
      const cells = session('results');
      expect((await cells.execute('6 * 7')).result).toBe(42);
      expect((await cells.execute('0.5 + 0.25')).result).toBe(0.75);
      expect((await cells.execute("'hello'")).result).toBe('hello');
      expect((await cells.execute('True')).result).toBe(true);
      expect((await cells.execute('a = None\na')).result).toBeNull();
      expect((await cells.execute("{'a': 1, 'b': 'x'}")).result).toBe("{'a': 1, 'b': 'x'}");
      expect((await cells.execute("print('side effect')")).result).toBeNull();
      expect((await cells.execute('y = 3')).result).toBeNull();
    }, timeout);

    it('returns a shown figure once, as a PNG in images, with no value', async () => {
      const result = await session('image').execute('import matplotlib.pyplot as plt\nplt.plot([1, 3, 2])\nplt.show()');
      expect(result.status).toBe('success');
      expect(result.result).toBeNull();
      expect(pngs(result)).toHaveLength(1);
    }, timeout);

    it('returns a figure left open beside a different last expression, and the value', async () => {
      const cells = session('figure-value');
      const result = await cells.execute('import matplotlib.pyplot as plt\nplt.plot([1, 2]); 6 * 7');
      expect(result).toMatchObject({ status: 'success', result: 42 });
      expect(pngs(result)).toHaveLength(1);
      // Captured figures are closed: the next cell starts with none and shows none.
      const next = await cells.execute('len(plt.get_fignums())');
      expect(next).toMatchObject({ result: 0, images: [] });
    }, timeout);

    it('returns a figure that is the last expression once, in images, with no value', async () => {
      const result = await session('figure-last').execute('import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\nax.plot([3, 1, 2])\nfig');
      expect(result).toMatchObject({ status: 'success', result: null });
      expect(pngs(result)).toHaveLength(1);
    }, timeout);

    it('returns every open figure, in order, whatever the last expression', async () => {
      const code = 'import matplotlib.pyplot as plt\nplt.figure(); plt.plot([1, 2])\nplt.figure(); plt.plot([4, 3, 5])';
      const result = await session('two-figures').execute(code);
      expect(result).toMatchObject({ status: 'success', result: null });
      const [first, second] = pngs(result);
      expect(result.images).toHaveLength(2);
      expect(first!.equals(second!)).toBe(false);
      const withValue = await session('two-figures-value').execute(`${code}\n'done'`);
      expect(withValue.result).toBe('done');
      expect(withValue.images.map((image) => image.base64_data)).toEqual(result.images.map((image) => image.base64_data));
    }, timeout);

    it('reports an exception with type, message and traceback, and stays usable', async () => {
      const cells = session('errors');
      const result = await cells.execute('def f():\n    return 1 / 0\nf()');
      expect(result.status).toBe('failure');
      expect(result.error).toMatchObject({ type: 'ZeroDivisionError', message: 'division by zero' });
      expect(result.error?.traceback).toContain('ZeroDivisionError');
      expect(result.error?.traceback).toMatch(/line 2/);
      expect((await cells.execute('1 + 1')).result).toBe(2);
    }, timeout);

    it('carries a traceback once, in error; stderr keeps only what the code wrote', async () => {
      const result = await session('traceback-once').execute("import sys\nprint('to stderr', file=sys.stderr)\nraise ValueError('bad')");
      expect(result.status).toBe('failure');
      expect(result.stderr).toBe('to stderr\n');
      expect(result.error).toMatchObject({ type: 'ValueError', message: 'bad' });
      expect(result.error?.traceback).toMatch(/Traceback[\s\S]*ValueError: bad/);
    }, timeout);

    it('stops a cell at its timeout with a TimeoutError, and the next cell works', async () => {
      const cells = session('timeout');
      await cells.execute('kept = 1');
      const result = await cells.execute('while True: pass', { timeoutMs: target.shortTimeoutMs });
      expect(result.status).toBe('failure');
      expect(result.error?.type).toBe('TimeoutError');
      expect(result.error?.message).toContain(`timeoutMs (${target.shortTimeoutMs})`);
      // The number travels as a field, so a front end can name its own flag.
      expect(result.error?.timeoutMs).toBe(target.shortTimeoutMs);
      const phrased = describeCellTimeout(result.error!, '--timeout-ms');
      expect(phrased).toContain(`Execution exceeded --timeout-ms (${target.shortTimeoutMs}); pass a larger --timeout-ms`);
      expect(phrased).not.toContain('timeoutMs');
      const next = await cells.execute("'kept' in globals()");
      expect(next.status).toBe('success');
      // Either the variables survived, or the result says plainly that they did not.
      if (next.result === false) expect(`${result.error?.message}\n${next.stderr}`).toMatch(/lost/);
      else expect(next.result).toBe(true);
    }, timeout);

    it.skipIf(target.outputLimitBytes === undefined)('truncates output beyond the cap, with a marker', async () => {
      const limit = target.outputLimitBytes!;
      const result = await session('truncate').execute(`print('x' * ${limit * 3})`);
      expect(result.status).toBe('success');
      expect(result.stdout).toContain('[output truncated');
      expect(Buffer.byteLength(result.stdout)).toBeLessThan(limit + 200);
    }, timeout);

    it('round-trips UTF-8 and emoji through code, stdout, results and files', async () => {
      const cells = session('utf8');
      const text = 'héllo 🌊 世界';
      const result = await cells.execute(`s = ${JSON.stringify(text)}\nprint(s)\ns`);
      expect(result.stdout).toBe(`${text}\n`);
      expect(result.result).toBe(text);
      await cells.upload('emoji.txt', new TextEncoder().encode(text));
      expect((await cells.execute("open('emoji.txt', encoding='utf-8').read()")).result).toBe(text);
      expect(new TextDecoder().decode(await cells.download('emoji.txt'))).toBe(text);
    }, timeout);

    it('uploads, lists, downloads and deletes files in /mnt/data, which is the working directory', async () => {
      const files = session('files');
      const info = await files.upload('/mnt/data/contract/data.csv', new TextEncoder().encode('a,b\n1,2\n'));
      expect(info).toMatchObject({ name: 'contract/data.csv', sizeBytes: 8 });
      const listed = await files.list();
      expect(listed.find((file) => file.name === 'contract/data.csv')).toMatchObject({ sizeBytes: 8 });
      const read = await files.execute("import pandas as pd\nint(pd.read_csv('contract/data.csv')['b'].sum())");
      expect(read.result).toBe(2);
      await files.execute("open('made-by-code.txt', 'w').write('from python')");
      expect(new TextDecoder().decode(await files.download('/mnt/data/made-by-code.txt'))).toBe('from python');
      expect(new TextDecoder().decode(await files.download('made-by-code.txt'))).toBe('from python');
      await expect(files.download('missing.txt')).rejects.toMatchObject({ code: 'not_found' });
      await expect(files.upload('../escape.txt', new Uint8Array([1]))).rejects.toMatchObject({ code: 'invalid_input' });
      await expect(files.upload('/etc/passwd', new Uint8Array([1]))).rejects.toMatchObject({ code: 'invalid_input' });
      if (files.delete) {
        await files.delete('contract/data.csv');
        expect((await files.list()).map((file) => file.name)).not.toContain('contract/data.csv');
        await expect(files.download('contract/data.csv')).rejects.toMatchObject({ code: 'not_found' });
      }
    }, timeout);

    it('reports lifecycle events with timings, and closes idempotently', async () => {
      const cells = session('lifecycle');
      await cells.execute('1');
      await cells.close();
      await cells.close();
      const mine = events.filter((event) => event.identifier === cells.identifier);
      expect(mine.map((event) => event.phase)).toEqual(['creating', 'ready', 'executing', 'finished', 'closed']);
      expect(mine.every((event) => event.sandboxType === sandbox.type && event.elapsedMs >= 0)).toBe(true);
      expect(mine.find((event) => event.phase === 'ready')?.stepMs).toBeGreaterThanOrEqual(0);
      const after = await cells.execute('1').then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(isSandboxError(after)).toBe(true);
    }, timeout);

    defineLanguageContract(target, () => sandbox);
  });
}

/**
 * The language cases: each runs on a backend that offers its language and is skipped, with the
 * reason, where it does not; a language the backend does not offer must be refused with
 * UnsupportedLanguageError before anything runs. `sandbox` is the sandbox under test, made by the
 * caller (defineSandboxContract's); without it the cases make their own with `target.create`.
 */
export function defineLanguageContract(target: ContractTarget, sandboxUnderTest?: () => Sandbox): void {
  const title = target.skip ? `${target.name} languages (skipped: ${target.skip})` : `${target.name} languages`;

  describe.skipIf(target.skip !== undefined)(title, () => {
    let own: Sandbox | undefined;
    const timeout = target.testTimeoutMs;
    const sandbox = (): Sandbox => sandboxUnderTest?.() ?? (own ??= target.create({ onLifecycle: () => undefined }));
    const session = (name: string) => sandbox().session(`contract-${name}-${Math.random().toString(36).slice(2, 8)}`);
    /** Skips the running test, saying so, unless the sandbox offers `language`. */
    const requireOffered = async (language: Language, context: TestContext) => {
      const offered = await sandbox().languages();
      if (!offered.includes(language)) context.skip(`${target.name} does not offer ${language} (it offers ${offered.join(', ')})`);
    };

    afterAll(async () => {
      await own?.close();
    }, timeout);

    it('names the languages it offers, each one known', async () => {
      const offered = await sandbox().languages();
      expect(offered.length).toBeGreaterThan(0);
      expect(offered.every((language) => LANGUAGES.includes(language))).toBe(true);
    }, timeout);

    it('refuses a language it does not offer with UnsupportedLanguageError naming where it runs', async (context) => {
      const offered = await sandbox().languages();
      const missing = LANGUAGES.filter((language) => !offered.includes(language));
      if (missing.length === 0) context.skip(`${target.name} offers every language`);
      for (const language of missing) {
        const refused = await session(`refused-${language}`).execute('1', { language }).then(
          () => undefined,
          (error: unknown) => error,
        );
        expect(refused).toBeInstanceOf(UnsupportedLanguageError);
        expect(refused).toMatchObject({ code: 'unsupported_language', language, offered });
        expect((refused as Error).message).toMatch(/ runs? on (Local|Sandbox-|every)/);
      }
    }, timeout);

    it('refuses a language name outside the contract as invalid input', async () => {
      await expect(session('bad-language').execute('1', { language: 'cobol' as Language })).rejects.toMatchObject({ code: 'invalid_input' });
    }, timeout);

    it('shell: keeps the working directory and exported variables from one command to the next', async (context) => {
      await requireOffered('shell', context);
      const shell = session('shell-state');
      const moved = await shell.execute('mkdir -p contract-dir && cd contract-dir && export CONTRACT_GREETING=hello', { language: 'shell' });
      expect(moved).toMatchObject({ status: 'success', exitCode: 0 });
      const seen = await shell.execute('basename "$PWD"; echo "$CONTRACT_GREETING"', { language: 'shell' });
      expect(seen).toMatchObject({ status: 'success', exitCode: 0, stdout: 'contract-dir\nhello\n', result: null });
    }, timeout);

    it('shell: a non-zero exit is a failure carrying the exit code, with both streams', async (context) => {
      await requireOffered('shell', context);
      const result = await session('shell-exit').execute('echo out; echo err >&2; exit 3', { language: 'shell' });
      expect(result).toMatchObject({ status: 'failure', exitCode: 3, stdout: 'out\n' });
      expect(result.stderr).toContain('err\n');
      expect(result.error?.message).toContain('3');
    }, timeout);

    it('shell: stops a command at its timeout with exit code 124 and a TimeoutError, keeping the working directory', async (context) => {
      await requireOffered('shell', context);
      const shell = session('shell-timeout');
      await shell.execute('mkdir -p kept && cd kept', { language: 'shell' });
      const stopped = await shell.execute('sleep 600', { language: 'shell', timeoutMs: target.shortTimeoutMs });
      expect(stopped).toMatchObject({ status: 'failure', exitCode: 124, error: { type: 'TimeoutError' } });
      expect(stopped.error?.message).toContain(`(${target.shortTimeoutMs})`);
      expect(await shell.execute('basename "$PWD"', { language: 'shell' })).toMatchObject({ status: 'success', stdout: 'kept\n' });
    }, timeout);

    it('javascript: keeps state across executions, returns the last expression and console output', async (context) => {
      await requireOffered('javascript', context);
      const js = session('javascript');
      expect(await js.execute('var contractTotal = 21;', { language: 'javascript' })).toMatchObject({ status: 'success' });
      expect(await js.execute('contractTotal * 2', { language: 'javascript' })).toMatchObject({ status: 'success', result: 42 });
      expect(await js.execute("'hello'", { language: 'javascript' })).toMatchObject({ result: 'hello' });
      const logged = await js.execute("console.log('out'); console.error('err')", { language: 'javascript' });
      expect(logged).toMatchObject({ status: 'success', stdout: 'out\n' });
      expect(logged.stderr).toContain('err\n');
    }, timeout);

    it('javascript: a thrown error is a failure with its type and message, and the session stays usable', async (context) => {
      await requireOffered('javascript', context);
      const js = session('javascript-error');
      const thrown = await js.execute("throw new TypeError('contract boom')", { language: 'javascript' });
      expect(thrown.status).toBe('failure');
      expect(thrown.error).toMatchObject({ type: 'TypeError', message: expect.stringContaining('contract boom') });
      expect(await js.execute('1 + 1', { language: 'javascript' })).toMatchObject({ status: 'success', result: 2 });
    }, timeout);

    it('javascript: stops a busy loop at its timeout with a TimeoutError, and the next execution works', async (context) => {
      await requireOffered('javascript', context);
      const js = session('javascript-timeout');
      const stopped = await js.execute('while (true) {}', { language: 'javascript', timeoutMs: target.shortTimeoutMs });
      expect(stopped).toMatchObject({ status: 'failure', error: { type: 'TimeoutError' } });
      expect(stopped.exitCode).toBeUndefined();
      expect(await js.execute('6 * 7', { language: 'javascript' })).toMatchObject({ status: 'success', result: 42 });
    }, timeout);
  });
}
