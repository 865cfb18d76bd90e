/** The kernel's own caps, through a real kernel process (the Local backend's transport). */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHostKernel } from '../../src/kernel/host-process.js';
import { KernelClient } from '../../src/kernel/kernel-client.js';

const MiB = 1024 * 1024;

describe('kernel result caps', () => {
  let dataDir: string;
  let client: KernelClient;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'tidepool-kernel-limits-'));
    client = new KernelClient(startHostKernel({ pythonPath: '/usr/bin/python3', dataDir }));
    await client.ping();
  });
  afterAll(async () => {
    client.kill();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('truncates a 150 MB string result with a marker saying how large it was and how to get it', async () => {
    const response = await client.execute("'x' * 150_000_000", { timeoutMs: 30_000 });
    expect(response.status).toBe('success');
    const result = response.result as string;
    expect(result.length).toBeLessThan(MiB + 1000);
    expect(result.startsWith('x'.repeat(1000))).toBe(true);
    expect(result).toMatch(/result truncated to its first 1048576 bytes; the whole is 150000000 characters\. To get all of it, write it to a file in \/mnt\/data .* and download that file/);
    expect(response.repr!.length).toBeLessThan(MiB + 1000);
    expect(response.repr).toMatch(/repr truncated .* the whole is 150000000 characters/);
    expect((await client.execute('21 * 2')).result).toBe(42);
  });

  it('cuts long reprs, error messages and tracebacks at the result cap', async () => {
    const list = await client.execute('list(range(1_000_000))');
    expect((list.result as string).length).toBeLessThan(MiB + 1000);
    expect(list.result).toMatch(/repr truncated/);
    const error = await client.execute("raise ValueError('y' * 5_000_000)");
    expect(error.error?.type).toBe('ValueError');
    expect(error.error!.message.length).toBeLessThan(MiB + 1000);
    expect(error.error!.message).toMatch(/error message truncated/);
  });

  it('leaves out images over the per-image and per-cell caps, with a note', async () => {
    const code = [
      'class Blob:',
      '    def __init__(self, n): self.n = n',
      '    def _repr_png_(self): return b"\\x89PNG" + b"\\0" * self.n',
      'display(Blob(5_000_000))', // 6.7 MB of base64: over 4 MiB
      'for _ in range(3): display(Blob(2_900_000))', // 3.9 MB each: the third is over 8 MiB a cell
    ].join('\n');
    const response = await client.execute(code);
    expect(response.status).toBe('success');
    expect(response.images).toHaveLength(2);
    expect(response.stderr).toMatch(/an image was left out: it is \d+ bytes of base64, over the 4194304 byte limit per image/);
    expect(response.stderr).toMatch(/would take this cell's images over their 8388608 byte limit/);
  });

  it('decodes output as UTF-8: a character cut by the output cap is dropped, an invalid byte replaced', async () => {
    const cut = await client.execute("import sys\nsys.stdout.buffer.write(b'a' + 'é'.encode() * 1000)\nsys.stdout.flush()", { outputLimitBytes: 1024 });
    expect(cut.stdout).toBe(`a${'é'.repeat(511)}\n[output truncated: 977 more bytes]\n`);
    const invalid = await client.execute("import sys\nsys.stdout.buffer.write(b'ok\\xff\\n')\nsys.stdout.flush()");
    expect(invalid.stdout).toBe('ok\ufffd\n');
  });

  it('survives values that cannot be shown: a failing __repr__ and a lone surrogate', async () => {
    const bad = await client.execute("class A:\n    def __repr__(self): raise RuntimeError('no repr')\nA()");
    expect(bad.status).toBe('failure');
    expect(bad.error).toMatchObject({ type: 'RuntimeError', message: 'no repr' });
    const surrogate = await client.execute("'a\\ud800b'");
    expect(surrogate.status).toBe('success');
    expect(surrogate.result).toBe('a\ud800b');
    expect((await client.execute('1')).result).toBe(1);
  });
});

describe('kernel result cap from its start-up arguments', () => {
  it('cuts results at --result-limit-bytes', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'tidepool-kernel-cap-'));
    const client = new KernelClient(startHostKernel({ pythonPath: '/usr/bin/python3', dataDir, resultLimitBytes: 4096 }), { resultLimitBytes: 4096 });
    try {
      const response = await client.execute("'é' * 10_000");
      expect(response.result).toMatch(/^é{2048}\n\[tidepool: result truncated to its first 4096 bytes; the whole is 10000 characters/);
    } finally {
      client.kill();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('kernel response fitting', () => {
  it('fits an escape-heavy answer into a small frame cap instead of breaking it', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'tidepool-kernel-fit-'));
    const client = new KernelClient(startHostKernel({ pythonPath: '/usr/bin/python3', dataDir }), { maxResponseBytes: 256 * 1024 });
    try {
      // A million control characters become six million bytes of JSON escapes.
      const response = await client.execute("print('\\x01' * 1_000_000)\n'z' * 500_000", { outputLimitBytes: MiB });
      expect(response.status).toBe('success');
      expect(response.stdout).toMatch(/cut to fit the response's 262144 byte limit/);
      expect(client.alive).toBe(true);
      expect((await client.execute('6 * 7')).result).toBe(42);
    } finally {
      client.kill();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
