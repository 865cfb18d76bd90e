/**
 * The session file channel against the real file server (python/tidepool_pool_files.py, run
 * here as a plain process on a socket pair) and against fake servers that break the protocol.
 * The traps are the ones user code can plant in /mnt/data.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import net, { type Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lengthPrefix } from '../../../src/kernel/frames.js';
import { PYTHON_DIR } from '../../../src/paths.js';
import { encodeBinaryFrame } from '../../../src/pool/runtime/binary-frames.js';
import { FileChannel } from '../../../src/pool/runtime/file-channel.js';
import { PoolError } from '../../../src/pool/types.js';

const lost = () => new PoolError('session_lost', 'the session ended');

describe('file channel against the real file server', () => {
  let root: string;
  let server: ChildProcess;
  let channel: FileChannel;

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'tidepool-files-'));
    const python = [
      'import socket, sys',
      `sys.path.insert(0, ${JSON.stringify(PYTHON_DIR)})`,
      'import tidepool_pool_files',
      `server = tidepool_pool_files.FileServer(socket.socket(fileno=3), ${JSON.stringify(root)})`,
      'while server.handle_one(): pass',
    ].join('\n');
    // A 'pipe' beyond stdio is a Unix socket pair, as the session's file channel is.
    server = spawn('/usr/bin/python3', ['-I', '-c', python], { stdio: ['ignore', 'inherit', 'inherit', 'pipe'] });
    channel = new FileChannel(server.stdio[3] as Socket, lost, { maxFileBytes: 1024 });
  });
  afterAll(async () => {
    channel.close();
    server.kill();
    await rm(root, { recursive: true, force: true });
  });

  it('refuses a FIFO at once with an error naming its type, and keeps serving', async () => {
    expect(spawnSync('mkfifo', [path.join(root, 'pipe')]).status).toBe(0);
    const started = Date.now();
    await expect(channel.read('pipe')).rejects.toMatchObject({ code: 'invalid_input', message: expect.stringMatching(/"pipe" is a FIFO \(named pipe\)/) });
    await expect(channel.stat('pipe')).rejects.toMatchObject({ code: 'invalid_input', message: expect.stringMatching(/FIFO/) });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect((await channel.list(undefined, false)).map((file) => file.name)).not.toContain('pipe');
    await rm(path.join(root, 'pipe'));
  });

  it('names symlinks and sockets too, and caps downloads at maxFileBytes', async () => {
    await symlink('/etc/passwd', path.join(root, 'link'));
    await expect(channel.read('link')).rejects.toMatchObject({ message: expect.stringMatching(/symbolic link/) });
    await writeFile(path.join(root, 'big.bin'), Buffer.alloc(2048));
    await expect(channel.read('big.bin')).rejects.toMatchObject({ code: 'too_large', message: expect.stringMatching(/2048 bytes, over the 1024 byte limit/) });
    await writeFile(path.join(root, 'small.txt'), 'hello');
    expect((await channel.read('small.txt')).data.toString()).toBe('hello');
    await rm(path.join(root, 'link'));
    await rm(path.join(root, 'big.bin'));
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
    await expect(channel.read('x')).rejects.toMatchObject({ code: 'session_lost', message: expect.stringMatching(/did not answer within 300 ms/) });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(broken.count).toBe(1);
    close();
  });
});
