import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PoolSessionManager } from '../../../src/pool/runtime/index.js';
import { PoolError } from '../../../src/pool/types.js';
import { createTestManager, descendantsOf, processesMentioning, processesOwnedBy, run } from './helpers.js';

describe('pool runtime sessions (bwrap)', () => {
  let manager: PoolSessionManager;

  beforeAll(async () => {
    manager = createTestManager({ maxSessions: 20 });
    await manager.start();
  });
  afterAll(() => manager.close());

  it('keeps state per identifier and separates identifiers', async () => {
    const first = await run(manager, 'state-a', 'x = 40\nx + 2');
    expect(first.allocated).toBe(true);
    expect(first.response.result).toBe(42);
    const again = await run(manager, 'state-a', 'x + 1');
    expect(again.allocated).toBe(false);
    expect(again.response.result).toBe(41);
    const other = await run(manager, 'state-b', "'x' in globals()");
    expect(other.response.result).toBe(false);
  });

  it('allocates a new identifier from a pre-forked ready session', async () => {
    await expect.poll(() => manager.stats().ready, { timeout: 20_000 }).toBeGreaterThan(0);
    const before = manager.stats();
    const outcome = await run(manager, 'from-ready', 'import os\nos.getpid()');
    expect(outcome.allocated).toBe(true);
    expect(outcome.response.result).toBe(2); // PID 2 of its own PID namespace, under a tiny init
    expect(manager.stats().live).toBe(before.live + 1);
    expect(manager.getSession('from-ready')?.etag).toMatch(/^[0-9a-f]{16}$/);
  });

  it('gives every session random state of its own, and threads and forks that work', async () => {
    // The zygote forks without the interpreter's thread-repair callbacks; random's and numpy's reseeds still run.
    const draw = 'import random, numpy\nf"{random.getrandbits(64)} {numpy.random.randint(0, 2**62)}"';
    const [first, second] = await Promise.all([run(manager, 'random-a', draw), run(manager, 'random-b', draw)]);
    expect(first.response.error).toBeNull();
    const [randomA, numpyA] = String(first.response.result).split(' ');
    const [randomB, numpyB] = String(second.response.result).split(' ');
    expect(randomA).not.toBe(randomB);
    expect(numpyA).not.toBe(numpyB);
    const threaded = [
      'import os, threading',
      'seen = []',
      'workers = [threading.Thread(target=seen.append, args=(n,)) for n in range(4)]',
      '[w.start() for w in workers] and [w.join() for w in workers]',
      'pid = os.fork()',
      'if pid == 0:',
      '    os._exit(7)',
      'sorted(seen) == [0, 1, 2, 3] and os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 7 and threading.main_thread().is_alive()',
    ].join('\n');
    const outcome = await run(manager, 'random-a', threaded);
    expect(outcome.response.error).toBeNull();
    expect(outcome.response.result).toBe(true);
  });

  it('runs calls on one session in arrival order', async () => {
    const calls = Array.from({ length: 20 }, (_, i) => run(manager, 'order', `seen = globals().setdefault('seen', [])\nseen.append(${i})\nlen(seen)`));
    const results = await Promise.all(calls);
    expect(results.map((outcome) => outcome.response.result)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it('writes, lists, stats, reads and deletes files in /mnt/data, with sub-directories', async () => {
    await manager.writeFile('files', 'in/put.txt', new TextEncoder().encode('hello'));
    const seen = await run(manager, 'files', "open('/mnt/data/in/put.txt').read() + '|' + open('out.csv', 'w').write('a,b') .__str__()");
    expect(seen.response.result).toBe('hello|3');
    const names = (await manager.listFiles('files', { recursive: true })).map((file) => `${file.type}:${file.name}`);
    expect(names).toEqual(['directory:in', 'file:in/put.txt', 'file:out.csv']);
    expect((await manager.listFiles('files')).map((file) => file.name)).toEqual(['in', 'out.csv']);
    expect((await manager.listFiles('files', { directory: 'in' })).map((file) => file.name)).toEqual(['in/put.txt']);
    expect((await manager.statFile('files', '/mnt/data/out.csv')).sizeBytes).toBe(3);
    const { stream } = await manager.readFile('files', 'out.csv');
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('a,b');
    await manager.deleteFile('files', 'out.csv');
    await expect(manager.statFile('files', 'out.csv')).rejects.toMatchObject({ code: 'not_found' });
    await expect(manager.readFile('files', '../etc/passwd')).rejects.toMatchObject({ code: 'invalid_input' });
  });

  it('does not follow symlinks planted by user code', async () => {
    await run(manager, 'links', "import os\nos.symlink('/etc/passwd', '/mnt/data/pw')\nos.symlink('/etc', '/mnt/data/etcdir')");
    await expect(manager.readFile('links', 'pw')).rejects.toBeInstanceOf(PoolError);
    await expect(manager.readFile('links', 'etcdir/passwd')).rejects.toMatchObject({ code: 'not_found' });
    await expect(manager.writeFile('links', 'etcdir/evil', new Uint8Array([1]))).rejects.toBeInstanceOf(PoolError);
    expect((await manager.listFiles('links')).map((file) => file.name)).toEqual([]);
  });

  it('serves files while a long cell is running', async () => {
    await run(manager, 'busy', 'import time');
    const long = run(manager, 'busy', 'time.sleep(3)\n"done"');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const info = await manager.writeFile('busy', 'during.txt', new TextEncoder().encode('x'));
    expect(info.name).toBe('during.txt');
    expect((await long).response.result).toBe('done');
  });

  it('rejects an upload larger than the disk limit with too_large and keeps the session', async () => {
    const big = new Uint8Array(17 * 1024 * 1024);
    await expect(manager.writeFile('disk', 'big.bin', big)).rejects.toMatchObject({ code: 'too_large' });
    expect((await manager.listFiles('disk')).map((file) => file.name)).toEqual([]);
    const filled = await run(manager, 'disk', "try:\n    open('fill', 'wb').write(b'x' * (40 * 1024 * 1024))\nexcept OSError as e:\n    err = e.errno\nerr");
    expect([27, 28]).toContain(filled.response.result); // EFBIG or ENOSPC
    expect((await run(manager, 'state-a', 'x')).response.result).toBe(40);
  });

  it('reports the interpreter and its packages, to concurrent callers alike', async () => {
    const [metadata, again] = await Promise.all([manager.metadata(), manager.metadata()]);
    expect(again).toEqual(metadata);
    expect(metadata.runtimes[0]).toMatchObject({ name: 'python', version: expect.stringMatching(/^3\.\d+\.\d+$/) });
    const names = metadata.preInstalledPackages.map((pkg) => pkg.name.toLowerCase());
    for (const name of ['numpy', 'pandas', 'matplotlib']) expect(names).toContain(name);
  });

  it('deletes a session with its state', async () => {
    await run(manager, 'gone', 'y = 1');
    expect(await manager.deleteSession('gone')).toBe(true);
    expect(manager.getSession('gone')).toBeUndefined();
    expect(await manager.deleteSession('gone')).toBe(false);
    expect((await run(manager, 'gone', "'y' in globals()")).response.result).toBe(false);
  });
});

describe('pool runtime capacity, cooldown and shutdown', () => {
  it('refuses a session beyond maxSessions until one is deleted', async () => {
    const manager = createTestManager({ maxSessions: 2, readySessions: 1 });
    try {
      await run(manager, 'one', '1');
      await run(manager, 'two', '2');
      const error = await run(manager, 'three', '3').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PoolError);
      expect((error as PoolError).code).toBe('capacity');
      expect((error as PoolError).message).toMatch(/full.*2 sessions.*--max-sessions/s);
      await manager.deleteSession('one');
      expect((await run(manager, 'three', '3')).response.result).toBe(3);
    } finally {
      await manager.close();
    }
  });

  it('ends a session idle longer than cooldownSeconds and removes its files', async () => {
    const manager = createTestManager({ cooldownSeconds: 1, readySessions: 1 });
    try {
      await manager.writeFile('cool', 'kept.txt', new Uint8Array([1]));
      await run(manager, 'cool', 'v = 7');
      const info = manager.getSession('cool')!;
      expect(info.expiresAt.getTime() - info.lastAccessedAt.getTime()).toBe(1000);
      await expect.poll(() => manager.getSession('cool'), { timeout: 10_000, interval: 200 }).toBeUndefined();
      const fresh = await run(manager, 'cool', "'v' in globals()");
      expect(fresh.allocated).toBe(true);
      expect(fresh.response.result).toBe(false);
      expect(await manager.listFiles('cool')).toEqual([]);
    } finally {
      await manager.close();
    }
  });

  it('close() ends every kernel and the zygote and removes the pool directory', async () => {
    const manager = createTestManager({ readySessions: 2 });
    await run(manager, 'a', '1');
    await run(manager, 'b', 'import subprocess\nsubprocess.Popen(["sleep", "600"]).pid');
    // As root every process of the pool runs as a uid of its block; otherwise the zygote's descendants.
    const poolProcesses = manager.uidBlock ? () => processesOwnedBy(manager.uidBlock!) : descendantsOf(manager.zygotePid!);
    expect((await poolProcesses()).length).toBeGreaterThan(3);
    await manager.close();
    await expect.poll(poolProcesses, { timeout: 5_000 }).toEqual([]);
    const sleepers = await processesMentioning('sleep\u0000600');
    expect(sleepers).toEqual([]);
    await expect(import('node:fs/promises').then((fs) => fs.stat(manager.hostDir!))).rejects.toThrow();
    // A call after close is refused as retryable elsewhere, not as an internal error.
    const late = await run(manager, 'c', '1').catch((e: unknown) => e);
    expect(late).toBeInstanceOf(PoolError);
    expect((late as PoolError).code).toBe('unavailable');
  });
});
