/**
 * The JavaScript kernel (javascript/tidepool_kernel.cjs) as a plain subprocess, driven by the same
 * KernelClient as the Python kernel: notebook semantics, output capture, errors, interrupts, limits,
 * hostile values and a broken protocol.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { lengthPrefix } from '../../src/kernel/frames.js';
import { KernelClient, type KernelClientOptions } from '../../src/kernel/kernel-client.js';
import type { KernelExit, KernelTransport } from '../../src/kernel/types.js';
import { JAVASCRIPT_DIR } from '../../src/paths.js';

const KERNEL = path.join(JAVASCRIPT_DIR, 'tidepool_kernel.cjs');
/** Generous: the machine running the tests may be loaded. */
const CELL_TIMEOUT_MS = 60_000;

/** `node tidepool_kernel.cjs 3 4`: requests on fd 3, responses on fd 4, as the host runs a kernel. */
function startJavaScriptKernel(dataDir: string): KernelTransport {
  const child = spawn(process.execPath, [KERNEL, '3', '4'], {
    cwd: dataDir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', TIDEPOOL_DATA_DIR: dataDir },
    stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'],
    detached: true,
  });
  let diagnostics = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    diagnostics = (diagnostics + chunk.toString('utf8')).slice(-8192);
  });
  const exited = new Promise<KernelExit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const signal = (name: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(name);
  };
  return {
    input: child.stdio[3] as Writable,
    output: child.stdio[4] as Readable,
    interrupt: () => signal('SIGINT'),
    kill: () => signal('SIGKILL'),
    exited,
    diagnostics: () => diagnostics,
  };
}

describe('the JavaScript kernel', () => {
  let dataDir: string;
  const kernels: KernelTransport[] = [];

  /** A fresh kernel (and its client) for one test. */
  async function kernel(options: KernelClientOptions = {}): Promise<{ client: KernelClient; transport: KernelTransport }> {
    const transport = startJavaScriptKernel(dataDir);
    kernels.push(transport);
    const client = new KernelClient(transport, options);
    await client.ping();
    return { client, transport };
  }

  async function run(client: KernelClient, code: string, timeoutMs = CELL_TIMEOUT_MS) {
    return client.execute(code, { timeoutMs });
  }

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'tidepool-js-kernel-'));
  });
  afterEach(() => {
    for (const transport of kernels.splice(0)) transport.kill();
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps state across cells, and a cell that declares let, const, class and function runs again', async () => {
    const { client } = await kernel();
    const cell = 'const base = 40;\nlet count = (globalThis.count ?? 0) + 1;\nclass Box { constructor(v) { this.v = v; } }\nfunction add(a, b) { return a + b; }\nadd(base, count)';
    expect(await run(client, cell)).toMatchObject({ status: 'success', result: 41, error: null });
    expect(await run(client, cell)).toMatchObject({ status: 'success', result: 42, error: null });
    expect((await run(client, 'new Box(add(base, count)).v')).result).toBe(42);
  }, 120_000);

  it.each([
    ['42', { hasResult: true, result: 42, repr: '42' }],
    ["'héllo'", { hasResult: true, result: 'héllo', repr: "'héllo'" }],
    ['1.5 > 1', { hasResult: true, result: true, repr: 'true' }],
    ['null', { hasResult: true, result: null, repr: 'null' }],
    ['undefined', { hasResult: false, result: null, repr: null }],
    ['let x = 5', { hasResult: false, result: null, repr: null }],
    ['console.log(1)', { hasResult: false, result: null, repr: null }],
    ['0 / 0', { hasResult: true, result: 'NaN', repr: 'NaN' }],
    ['1 / 0', { hasResult: true, result: 'Infinity', repr: 'Infinity' }],
    ['2n ** 70n', { hasResult: true, result: '1180591620717411303424n', repr: '1180591620717411303424n' }],
    ["({ a: 1, b: [1, 'two'] })", { hasResult: true, result: "{ a: 1, b: [ 1, 'two' ] }", repr: "{ a: 1, b: [ 1, 'two' ] }" }],
    ['new Map([[1, 2]])', { hasResult: true, result: 'Map(1) { 1 => 2 }', repr: 'Map(1) { 1 => 2 }' }],
  ])('gives the last expression %s as %o', async (code, expected) => {
    const { client } = await kernel();
    expect(await run(client, code)).toMatchObject({ status: 'success', ...expected });
  }, 60_000);

  it('runs top-level await, with destructuring and functions declared in the same cell kept for later cells', async () => {
    const { client } = await kernel();
    const first = await run(client, "const { a, b: [c, ...rest] } = await Promise.resolve({ a: 1, b: [2, 3, 4] });\nfunction total() { return a + c + rest.length; }\nclass Later {}\nawait new Promise((resolve) => setTimeout(resolve, 5));\ntotal()");
    expect(first).toMatchObject({ status: 'success', result: 5 });
    expect((await run(client, 'total() + rest[1] + (new Later() instanceof Later ? 1 : 0)')).result).toBe(10);
    expect((await run(client, 'await 1; const a = 7; a')).result).toBe(7);
  }, 60_000);

  it('captures console.log, console.error and process.stdout.write in order, per stream', async () => {
    const { client } = await kernel();
    const response = await run(client, "console.log('one', 1);\nprocess.stdout.write('two\\n');\nconsole.error('err-a');\nconsole.info({ three: 3 });\nprocess.stderr.write('err-b\\n');\nconsole.warn('err-c');\nawait null;\nconsole.log('four')");
    expect(response.stdout).toBe('one 1\ntwo\n{ three: 3 }\nfour\n');
    expect(response.stderr).toBe('err-a\nerr-b\nerr-c\n');
  }, 60_000);

  it('reports an error with a stack trace of the cell only, with no frame of the kernel or of Node', async () => {
    const { client } = await kernel();
    const response = await run(client, "function inner() { throw new TypeError('bad input'); }\nfunction outer() { inner(); }\nouter()");
    expect(response.status).toBe('failure');
    expect(response.error).toMatchObject({ type: 'TypeError', message: 'bad input' });
    const traceback = response.error!.traceback;
    expect(traceback).toMatch(/^TypeError: bad input\n\s+at inner \(<cell-\d+>:1:26\)\n\s+at outer \(<cell-\d+>:2:20\)\n\s+at <cell-\d+>:3:1$/);
    const rejected = await run(client, "await Promise.reject(new RangeError('late'))");
    expect(rejected.error).toMatchObject({ type: 'RangeError', message: 'late' });
    expect(rejected.error!.traceback).not.toMatch(/tidepool|node:|kernel|\.cjs/);
  }, 60_000);

  it("keeps the line and column of stack traces where the cell's text is unchanged, and shows no frame of the await wrapper", async () => {
    const { client } = await kernel();
    expect((await run(client, 'const a = null; a.x')).error!.traceback).toMatch(/^TypeError: Cannot read properties of null \(reading 'x'\)\n {4}at <cell-\d+>:1:19$/);
    expect((await run(client, 'null.x; await 1')).error!.traceback).toMatch(/^TypeError: Cannot read properties of null \(reading 'x'\)\n {4}at <cell-\d+>:1:6$/);
    expect((await run(client, "await 1\nthrow new Error('x')")).error!.traceback).toMatch(/^Error: x\n {4}at <cell-\d+>:2:7$/);
  }, 60_000);

  it('reports a SyntaxError with the line, the code and a caret at the column, and runs nothing of the cell', async () => {
    const { client } = await kernel();
    const response = await run(client, "console.log('never');\nlet x = ;");
    expect(response.status).toBe('failure');
    expect(response.stdout).toBe('');
    expect(response.error?.type).toBe('SyntaxError');
    expect(response.error?.message).toBe('Unexpected token');
    expect(response.error?.traceback).toMatch(/^<cell-\d+>:2\nlet x = ;\n {8}\^\n\nSyntaxError: Unexpected token$/);
  }, 60_000);

  it('interrupts a synchronous loop and a pending await at the timeout, keeping the variables', async () => {
    const { client } = await kernel({ interruptGraceMs: 30_000 });
    await run(client, 'let kept = 42');
    const loop = await run(client, 'for (;;) {}', 500);
    // The client names a cell its interrupt stopped a TimeoutError, whichever kernel it drives.
    expect(loop).toMatchObject({ status: 'failure', timedOut: true, error: { type: 'TimeoutError' } });
    expect(loop.stateLost).toBeFalsy();
    const pending = await run(client, 'await new Promise(() => {})', 500);
    expect(pending).toMatchObject({ status: 'failure', timedOut: true, error: { type: 'TimeoutError' } });
    expect(pending.stateLost).toBeFalsy();
    expect((await run(client, 'kept')).result).toBe(42);
  }, 120_000);

  it('keeps the first bytes of a stream up to the output limit and says how many more were dropped', async () => {
    const { client } = await kernel();
    const response = await client.execute("for (let i = 0; i < 100; i++) process.stdout.write('x'.repeat(100));\nconsole.error('e'.repeat(50))", { timeoutMs: CELL_TIMEOUT_MS, outputLimitBytes: 1_000 });
    expect(response.stdout).toBe(`${'x'.repeat(1_000)}\n[output truncated: 9000 more bytes]\n`);
    expect(response.stderr).toBe(`${'e'.repeat(50)}\n`);
  }, 60_000);

  it('cuts every text of a response to fit the response limit, with a note', async () => {
    const limit = 200_000;
    const { client } = await kernel({ maxResponseBytes: limit, outputLimitBytes: 4_000_000 });
    const response = await run(client, "console.log('o'.repeat(900000));\nconsole.error('e'.repeat(900000));\n'r'.repeat(900000)");
    expect(response.status).toBe('success');
    expect(Buffer.byteLength(JSON.stringify(response))).toBeLessThan(limit);
    for (const text of [response.stdout, response.stderr, response.result as string]) {
      expect(text).toMatch(new RegExp(`\\[tidepool: cut to fit the response's ${limit} byte limit\\]\\n$`));
    }
  }, 60_000);

  it.each([
    ['a value whose inspect hook throws', "({ [Symbol.for('nodejs.util.inspect.custom')]() { throw new Error('from the hook'); } })", 'from the hook'],
    ['a thrown value whose toString and Symbol.toPrimitive throw', 'throw { toString() { throw 1; }, [Symbol.toPrimitive]() { throw 2; } }', undefined],
    ['an error whose stack getter throws', "const e = new Error('x');\nObject.defineProperty(e, 'stack', { get() { throw new Error('no stack'); } });\nthrow e", undefined],
    ['a thrown Proxy whose every trap throws', "throw new Proxy({}, { get() { throw 1; }, getPrototypeOf() { throw 2; }, has() { throw 3; }, ownKeys() { throw 4; }, getOwnPropertyDescriptor() { throw 5; } })", undefined],
  ])('answers %s with a failure and keeps its state', async (_name, code, message) => {
    const { client } = await kernel();
    await run(client, 'let kept = 42');
    const response = await run(client, code);
    expect(response.status).toBe('failure');
    expect(response.error?.type).toEqual(expect.any(String));
    if (message) expect(response.error?.message).toBe(message);
    expect((await run(client, 'kept')).result).toBe(42);
  }, 60_000);

  it('shows getters, Proxies and Symbol.toPrimitive values as text without running their traps', async () => {
    const { client } = await kernel();
    const response = await run(client, "[{ get a() { throw new Error('getter'); } }, new Proxy({}, { get() { throw new Error('trap'); } }), { [Symbol.toPrimitive]() { throw new Error('prim'); } }]");
    expect(response.status).toBe('success');
    expect(response.result).toBe('[\n  { a: [Getter] },\n  {},\n  { Symbol(Symbol.toPrimitive): [Function: [Symbol.toPrimitive]] }\n]');
  }, 60_000);

  it("puts errors thrown by a cell's timers and its unhandled rejections into a later cell's stderr, and keeps running", async () => {
    const { client } = await kernel();
    const first = await run(
      client,
      [
        "setTimeout(() => { throw new Error('from a timer'); }, 0);",
        "setTimeout(() => { throw new Proxy({}, { get() { throw 1; }, getPrototypeOf() { throw 2; } }); }, 0);",
        "Promise.reject(new Error('never handled'));",
        "setTimeout(() => { globalThis.timersDone = true; }, 0);",
        "'started'",
      ].join('\n'),
    );
    expect(first.result).toBe('started');
    // Waits until the timers have run, then one more turn of the event loop for the handlers.
    const later = await run(client, 'while (!globalThis.timersDone) await new Promise((resolve) => setTimeout(resolve, 10));\nawait new Promise((resolve) => setImmediate(resolve));\n6 * 7');
    const stderr = first.stderr + later.stderr;
    expect(later.result).toBe(42);
    expect(stderr).toMatch(/^Uncaught Error: from a timer\n\s+at Timeout._onTimeout \(<cell-\d+>:1:/m);
    expect(stderr).toMatch(/^Uncaught \(in promise\) Error: never handled\n\s+at <cell-\d+>:3:/m);
    expect(stderr).toMatch(/^Uncaught a value that could not be described \(reading it threw\)$/m);
  }, 60_000);

  it('answers with a KernelError when a cell broke what the kernel measures its answer with, and keeps its state', async () => {
    const { client } = await kernel();
    await run(client, 'let kept = 42');
    const broken = await run(client, "globalThis.byteLength = Buffer.byteLength;\nBuffer.byteLength = () => { throw new Error('no length'); };\n1");
    expect(broken).toMatchObject({ status: 'failure', error: { type: 'KernelError', message: 'no length' } });
    expect((await run(client, 'Buffer.byteLength = byteLength;\nkept')).result).toBe(42);
  }, 60_000);

  it('exits when a cell broke even the sending of a failure, so the host learns at once that the state is gone', async () => {
    const { client, transport } = await kernel();
    await expect(run(client, 'JSON.stringify = () => { throw new Error("no JSON"); };\n1')).rejects.toThrow(/exited with code 70/);
    expect(await transport.exited).toEqual({ code: 70, signal: null });
  }, 60_000);

  it.each([
    ['a frame that is not JSON', Buffer.concat([lengthPrefix(5), Buffer.from('{nope')])],
    ['a header announcing 600 MB', Buffer.concat([lengthPrefix(600 * 1024 * 1024), Buffer.from('junk')])],
  ])('exits with code 2 on %s, even with a timer and a server a cell left running', async (_name, bytes) => {
    const { client, transport } = await kernel();
    expect((await run(client, "setInterval(() => {}, 1000);\nrequire('net').createServer().listen(0, '127.0.0.1');\n'left running'")).result).toBe('left running');
    transport.input.write(bytes);
    expect(await transport.exited).toEqual({ code: 2, signal: null });
    expect(client.alive).toBe(false);
  }, 60_000);
});
