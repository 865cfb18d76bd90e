/**
 * The session file channel against the real file server (python/tidepool_pool_files.py, run
 * here as a plain process on a socket pair) and against fake servers that break the protocol.
 * The traps are the ones user code can plant in /mnt/data.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFile, mkdir, mkdtemp, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import net, { type Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lengthPrefix } from '../../../src/kernel/frames.js';
import { PYTHON_DIR } from '../../../src/paths.js';
import { encodeBinaryFrame } from '../../../src/pool/runtime/binary-frames.js';
import { FileChannel, MAX_RANGE_BYTES } from '../../../src/pool/runtime/file-channel.js';
import { openDownload } from '../../../src/pool/runtime/file-download.js';
import { PoolError } from '../../../src/pool/types.js';

const lost = () => new PoolError('session_lost', 'the session ended');

/** The real file server on `root`, after the Python lines of `patch` (which see the module). */
function startFileServer(root: string, patch: string[] = []): { server: ChildProcess; channel: FileChannel } {
  const python = [
    'import os, socket, sys',
    `sys.path.insert(0, ${JSON.stringify(PYTHON_DIR)})`,
    'import tidepool_pool_files',
    ...patch,
    `server = tidepool_pool_files.FileServer(socket.socket(fileno=3), ${JSON.stringify(root)})`,
    'while server.handle_one(): pass',
  ].join('\n');
  // A 'pipe' beyond stdio is a Unix socket pair, as the session's file channel is.
  const server = spawn('/usr/bin/python3', ['-I', '-c', python], { stdio: ['ignore', 'inherit', 'inherit', 'pipe'] });
  return { server, channel: new FileChannel(server.stdio[3] as Socket, lost, { maxFileBytes: 1024 }) };
}

describe('file channel against the real file server', () => {
  let root: string;
  let server: ChildProcess;
  let channel: FileChannel;

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'tidepool-files-'));
    // A small file every test may rely on, so each runs alone (-t) as well as in order.
    await writeFile(path.join(root, 'small.txt'), 'hello');
    ({ server, channel } = startFileServer(root));
  });
  afterAll(async () => {
    channel.close();
    server.kill();
    await rm(root, { recursive: true, force: true });
  });

  it('refuses a FIFO at once with an error naming its type, and keeps serving', async () => {
    expect(spawnSync('mkfifo', [path.join(root, 'pipe')]).status).toBe(0);
    const started = Date.now();
    await expect(channel.readRange('pipe', 0, 16)).rejects.toMatchObject({ code: 'invalid_input', message: expect.stringMatching(/"pipe" is a FIFO \(named pipe\)/) });
    await expect(channel.stat('pipe')).rejects.toMatchObject({ code: 'invalid_input', message: expect.stringMatching(/FIFO/) });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect((await channel.list(undefined, false)).map((file) => file.name)).not.toContain('pipe');
    await rm(path.join(root, 'pipe'));
  });

  it('names symlinks and sockets too, and caps downloads at maxFileBytes', async () => {
    await symlink('/etc/passwd', path.join(root, 'link'));
    await expect(channel.readRange('link', 0, 16)).rejects.toMatchObject({ message: expect.stringMatching(/symbolic link/) });
    await writeFile(path.join(root, 'big.bin'), Buffer.alloc(2048));
    await expect(channel.readRange('big.bin', 0, 16)).rejects.toMatchObject({ code: 'too_large', message: expect.stringMatching(/2048 bytes, over the 1024 byte limit/) });
    expect((await channel.readRange('small.txt', 0, 16)).data.toString()).toBe('hello');
    await rm(path.join(root, 'link'));
    await rm(path.join(root, 'big.bin'));
  });

  it('reads a range with the file\'s identity: at most `length` bytes from `offset`, fewer at the end, none past it', async () => {
    await writeFile(path.join(root, 'range.txt'), '0123456789');
    const { ino, dev, mtimeNs, ctimeNs } = await stat(path.join(root, 'range.txt'), { bigint: true });
    const middle = await channel.readRange('range.txt', 2, 3);
    expect(middle.data.toString()).toBe('234');
    expect(middle.info).toMatchObject({ name: 'range.txt', type: 'file', sizeBytes: 10 });
    expect(middle.identity).toEqual({ dev: Number(dev), ino: Number(ino), size: 10, mtimeNs: String(mtimeNs), ctimeNs: String(ctimeNs) });
    expect((await channel.readRange('range.txt', 8, 5)).data.toString()).toBe('89');
    const past = await channel.readRange('range.txt', 50, 5);
    expect(past.data).toHaveLength(0);
    expect(past.identity.size).toBe(10);
    await rm(path.join(root, 'range.txt'));
  });

  it('refuses a range with a bad offset or length, and what a whole read refuses, without ending the session', async () => {
    await writeFile(path.join(root, 'range.txt'), 'abc');
    await expect(channel.readRange('range.txt', -1, 3)).rejects.toMatchObject({ code: 'invalid_input', message: expect.stringMatching(/offset must be a non-negative integer, got -1/) });
    await expect(channel.readRange('range.txt', 0, 0)).rejects.toMatchObject({ code: 'invalid_input', message: expect.stringMatching(/length must be an integer from 1 to/) });
    await expect(channel.readRange('range.txt', 0, 64 * 1024 * 1024)).rejects.toMatchObject({ code: 'invalid_input' });
    await expect(channel.readRange('missing.txt', 0, 3)).rejects.toMatchObject({ code: 'not_found' });
    await mkdir(path.join(root, 'dir'));
    await expect(channel.readRange('dir', 0, 3)).rejects.toMatchObject({ code: 'invalid_input', message: expect.stringMatching(/"dir" is a directory/) });
    await symlink('/etc/passwd', path.join(root, 'link'));
    await expect(channel.readRange('link', 0, 3)).rejects.toMatchObject({ code: 'invalid_input', message: expect.stringMatching(/symbolic link/) });
    expect(spawnSync('mkfifo', [path.join(root, 'pipe')]).status).toBe(0);
    await expect(channel.readRange('pipe', 0, 3)).rejects.toMatchObject({ code: 'invalid_input', message: expect.stringMatching(/FIFO/) });
    await writeFile(path.join(root, 'big.bin'), Buffer.alloc(2048));
    await expect(channel.readRange('big.bin', 0, 3)).rejects.toMatchObject({ code: 'too_large', message: expect.stringMatching(/2048 bytes, over the 1024 byte limit/) });
    expect((await channel.readRange('range.txt', 0, 3)).data.toString()).toBe('abc');
    for (const name of ['range.txt', 'dir', 'link', 'pipe', 'big.bin']) await rm(path.join(root, name), { recursive: true });
  });

  it('downloads in ranges, letting other operations through while the reader waits', async () => {
    const content = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));
    await writeFile(path.join(root, 'ranges.bin'), content);
    const { info, stream } = await openDownload(channel, 'ranges.bin', { chunkBytes: 64 });
    expect(info.sizeBytes).toBe(1000);
    // Nobody reads yet: the channel is free for the session's other file operations.
    expect((await channel.stat('ranges.bin')).sizeBytes).toBe(1000);
    expect(Buffer.concat(await stream.toArray())).toEqual(content);
    await writeFile(path.join(root, 'empty.bin'), '');
    const empty = await openDownload(channel, 'empty.bin', { chunkBytes: 64 });
    expect(empty.info.sizeBytes).toBe(0);
    expect(await empty.stream.toArray()).toEqual([]);
    await rm(path.join(root, 'ranges.bin'));
    await rm(path.join(root, 'empty.bin'));
  });

  it('fails a download whose file is replaced or grows between ranges, instead of sending a mix', async () => {
    const file = path.join(root, 'changing.txt');
    const changes: [() => Promise<void>, string][] = [
      [
        async () => {
          await writeFile(`${file}.new`, 'BBBBBBBBBBBB');
          await rename(`${file}.new`, file);
        },
        'it was replaced by another file',
      ],
      [() => appendFile(file, 'more'), 'its size went from 12 to 16 bytes'],
    ];
    for (const [change, why] of changes) {
      await writeFile(file, 'AAAAAAAAAAAA');
      const { stream } = await openDownload(channel, 'changing.txt', { chunkBytes: 4 });
      const received: Buffer[] = [];
      const failed = new Promise<Error>((resolve) => stream.once('error', resolve));
      stream.once('data', (chunk: Buffer) => {
        received.push(chunk);
        stream.pause();
        void change().then(() => stream.resume());
      });
      expect((await failed).message).toContain(`"changing.txt" changed while it was downloaded (${why})`);
      expect(Buffer.concat(received).toString()).toBe('AAAA');
    }
    await rm(file);
  });

  it('stops asking for ranges once the reader abandons the download', async () => {
    await writeFile(path.join(root, 'abandoned.bin'), Buffer.alloc(1000));
    const requested: number[] = [];
    const counting = { readRange: (name: string, offset: number, length: number) => (requested.push(offset), channel.readRange(name, offset, length)) };
    const { stream } = await openDownload(counting, 'abandoned.bin', { chunkBytes: 100 });
    const first = await new Promise<Buffer>((resolve) => stream.once('data', resolve));
    expect(first).toHaveLength(100);
    stream.destroy();
    // Requests go in order, so one answered after the destroy comes after any range asked for before it.
    await channel.stat('abandoned.bin');
    const asked = requested.length;
    await channel.stat('abandoned.bin');
    expect(requested.length).toBe(asked);
    expect(asked).toBeLessThanOrEqual(3);
    await rm(path.join(root, 'abandoned.bin'));
  });

  it('lists a directory of 20,000 files quickly, bounded, in name order, with a truncation flag', async () => {
    const many = path.join(root, 'many');
    await mkdir(many);
    expect(spawnSync('sh', ['-c', `cd ${many} && seq -w 0 19999 | sed 's/^/f/' | xargs touch`]).status).toBe(0);
    const started = Date.now();
    const listing = await channel.list('many', false);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(listing).toHaveLength(10_000);
    expect(listing.truncated).toBe(true);
    expect(listing[0]!.name).toBe('many/f00000');
    expect(listing[9_999]!.name).toBe('many/f09999');
    const everything = await channel.list(undefined, true);
    expect(everything.length).toBeLessThanOrEqual(10_000);
    expect(everything.truncated).toBe(true);
    await rm(many, { recursive: true });
    const small = await channel.list(undefined, true);
    expect(small.truncated).toBeUndefined();
  });

  it('bounds a listing by its JSON, so 10,000 names of control characters (six JSON bytes each) stay under the reply cap', async () => {
    const escaped = path.join(root, 'escaped');
    await mkdir(escaped);
    const made = spawnSync('/usr/bin/python3', ['-c', `import os\nfor i in range(10000): open(os.path.join(${JSON.stringify(escaped)}, '%05d' % i + '\\x01' * 250), 'w').close()`]);
    expect(made.status, made.stderr.toString()).toBe(0);
    const listing = await channel.list('escaped', false);
    expect(listing.truncated).toBe(true);
    expect(listing.length).toBeGreaterThan(1_000);
    expect(Buffer.byteLength(JSON.stringify(listing.map((file) => file.name)))).toBeLessThan(8 * 1024 * 1024);
    expect((await channel.stat('small.txt')).sizeBytes).toBe(5);
    await rm(escaped, { recursive: true });
  });

  it('leaves undecodable file names out of listings instead of failing', async () => {
    await writeFile(Buffer.concat([Buffer.from(root + '/'), Buffer.from([0xff, 0xfe])]), 'x');
    const names = (await channel.list(undefined, true)).map((file) => file.name);
    expect(names).toContain('small.txt');
    expect(names.some((name) => name.includes('\ufffd'))).toBe(false);
    expect((await channel.stat('small.txt')).sizeBytes).toBe(5);
  });
});

describe('file server reading a file that is written during the read', () => {
  it('refuses the range instead of answering with bytes from before and after the write, and keeps serving', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'tidepool-files-racing-'));
    const file = path.join(root, 'growing.txt');
    await writeFile(file, 'abcdef');
    // Code in the session appending between the read and the check after it.
    const { server, channel } = startFileServer(root, [
      'read_range = tidepool_pool_files.read_range',
      'def appending(fd, offset, length):',
      '    data = read_range(fd, offset, length)',
      `    os.write(os.open(${JSON.stringify(file)}, os.O_WRONLY | os.O_APPEND), b"!")`,
      '    return data',
      'tidepool_pool_files.read_range = appending',
    ]);
    try {
      await expect(channel.readRange('growing.txt', 0, 4)).rejects.toMatchObject({ code: 'internal', message: expect.stringMatching(/"growing.txt" changed while it was read/) });
      expect((await channel.stat('growing.txt')).sizeBytes).toBe(7);
    } finally {
      channel.close();
      server.kill();
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('file channel against a broken file server', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'tidepool-files-fake-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  /** A channel whose server side `behave` scripts; resolves with the channel and how often it asked to end the session. */
  async function fake(behave: (peer: Socket) => void, requestTimeoutMs = 5_000) {
    const socketPath = path.join(dir, `s${Math.random().toString(16).slice(2)}.sock`);
    const server = net.createServer((peer) => {
      peer.on('error', () => {});
      behave(peer);
    });
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    const socket = net.connect(socketPath);
    await new Promise((resolve) => socket.once('connect', resolve));
    const broken = { count: 0 };
    const channel = new FileChannel(socket, lost, { requestTimeoutMs, onBroken: () => broken.count++ });
    return { channel, broken, close: () => server.close() };
  }

  it('ends the session when the server announces an oversized frame', async () => {
    const { channel, broken, close } = await fake((peer) => peer.once('data', () => peer.write(lengthPrefix(600 * 1024 * 1024))));
    await expect(channel.stat('a')).rejects.toMatchObject({ code: 'session_lost', message: expect.stringMatching(/broke its protocol .*629145600 bytes/) });
    expect(broken.count).toBe(1);
    await expect(channel.stat('b')).rejects.toMatchObject({ code: 'session_lost' });
    close();
  });

  it('gives a modification time past what a Date holds (tmpfs keeps 10^13 s) the nearest date it can hold, without ending the session', async () => {
    const info = (lastModifiedMs: number) => ({ name: 'a', type: 'file', sizeBytes: 1, lastModifiedMs });
    const { channel, broken, close } = await fake((peer) =>
      peer.once('data', () => peer.write(Buffer.concat(encodeBinaryFrame({ id: 1, ok: true, entries: [info(1e16), info(-1e16), info(0)] })))),
    );
    const dates = (await channel.list(undefined, false)).map((file) => file.lastModified.toISOString());
    expect(dates).toEqual(['+275760-09-13T00:00:00.000Z', '-271821-04-20T00:00:00.000Z', '1970-01-01T00:00:00.000Z']);
    expect(broken.count).toBe(0);
    close();
  });

  it('ends the session on a reply that is not JSON or not the expected shape', async () => {
    const garbage = await fake((peer) => peer.once('data', () => peer.write(Buffer.concat([lengthPrefix(5), Buffer.from('{{{{{')]))));
    await expect(garbage.channel.list(undefined, false)).rejects.toMatchObject({ code: 'session_lost', message: expect.stringMatching(/not valid JSON/) });
    expect(garbage.broken.count).toBe(1);
    garbage.close();
    const shape = await fake((peer) => peer.once('data', () => peer.write(Buffer.concat(encodeBinaryFrame({ id: 1, ok: true, entries: 'many' })))));
    await expect(shape.channel.list(undefined, false)).rejects.toMatchObject({ code: 'session_lost', message: expect.stringMatching(/did not match its request/) });
    expect(shape.broken.count).toBe(1);
    shape.close();
  });

  /** A range reply to request 1 (a read of 4 bytes from offset 0 below), with `header` over a valid one. */
  function rangeAnswer(header: Record<string, unknown>, payload: Buffer) {
    const identity = { dev: 1, ino: 2, size: 10, mtimeNs: '1700000000000000000', ctimeNs: '1700000000000000000' };
    const valid = { id: 1, ok: true, info: { name: 'a', type: 'file', sizeBytes: 10, lastModifiedMs: 0 }, identity, offset: 0 };
    return Buffer.concat(encodeBinaryFrame({ ...valid, ...header }, payload));
  }

  it.each([
    ['longer than asked', {}, Buffer.from('abcdefgh'), /a read of 4 bytes was answered with 8/],
    ['at another offset', { offset: 4 }, Buffer.from('abcd'), /a read from offset 0 was answered for offset 4/],
    ['without an offset', { offset: undefined }, Buffer.from('abcd'), /did not match its request/],
    ['at a negative offset', { offset: -1 }, Buffer.from('abcd'), /did not match its request/],
    ['without an identity', { identity: undefined }, Buffer.from('abcd'), /did not match its request/],
    ['with a time that is not a number', { identity: { dev: 1, ino: 2, size: 10, mtimeNs: '1e9', ctimeNs: '0' } }, Buffer.from('abcd'), /did not match its request/],
    ['with two sizes', { info: { name: 'a', type: 'file', sizeBytes: 11, lastModifiedMs: 0 } }, Buffer.from('abcd'), /reported two sizes, 11 and 10/],
    ['shorter than the file', {}, Buffer.from('ab'), /a read at offset 0 of a 10 byte file was answered with 2 bytes, not 4/],
    [
      'of a file over the limit',
      { info: { name: 'a', type: 'file', sizeBytes: 2e9, lastModifiedMs: 0 }, identity: { dev: 1, ino: 2, size: 2e9, mtimeNs: '0', ctimeNs: '0' } },
      Buffer.from('abcd'),
      /a file of 2000000000 bytes, over the 1073741824 byte limit/,
    ],
  ])('ends the session on a range reply %s', async (_what, header, payload, message) => {
    const { channel, broken, close } = await fake((peer) => peer.once('data', () => peer.write(rangeAnswer(header, payload))));
    await expect(channel.readRange('a', 0, 4)).rejects.toMatchObject({ code: 'session_lost', message: expect.stringMatching(message) });
    expect(broken.count).toBe(1);
    close();
  });

  it('ends the session when a reply announces more than the largest range, before buffering it', async () => {
    const announced = Buffer.concat(encodeBinaryFrame({ id: 1, ok: true, bytes: MAX_RANGE_BYTES + 1 }));
    const { channel, broken, close } = await fake((peer) => peer.once('data', () => peer.write(announced)));
    await expect(channel.readRange('a', 0, 4)).rejects.toMatchObject({ code: 'session_lost', message: expect.stringMatching(/a payload of 8388609 bytes, over the 8388608 byte limit/) });
    expect(broken.count).toBe(1);
    close();
  });

  it('ends the session when the server stops reading an upload, instead of hanging', async () => {
    const { channel, broken, close } = await fake((peer) => peer.pause(), 300);
    await expect(channel.write('big.bin', new Uint8Array(32 * 1024 * 1024), 1024 * 1024 * 1024)).rejects.toMatchObject({
      code: 'session_lost',
      message: expect.stringMatching(/took no upload data for 300 ms/),
    });
    expect(broken.count).toBe(1);
    close();
  });

  it('ends the session when the server stops answering, instead of hanging', async () => {
    const { channel, broken, close } = await fake(() => {}, 300);
    const started = Date.now();
    await expect(channel.readRange('x', 0, 16)).rejects.toMatchObject({ code: 'session_lost', message: expect.stringMatching(/did not answer within 300 ms/) });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(broken.count).toBe(1);
    close();
  });
});
