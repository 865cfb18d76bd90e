/**
 * The download stream against an in-memory range reader whose file the test changes between
 * ranges: the changes a real file server reports only on some kernels (a write within one clock
 * tick) are set here field by field. The real file server's side is in files-server.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { FileIdentity, FileRange } from '../../../src/pool/runtime/file-channel.js';
import { openDownload } from '../../../src/pool/runtime/file-download.js';
import { PoolError } from '../../../src/pool/types.js';

/** A file of `content` the test may rewrite; `offsets` records each range asked for. */
function memoryFile(content: string) {
  const file = {
    data: Buffer.from(content),
    identity: { dev: 1, ino: 7, size: content.length, mtimeNs: '1000', ctimeNs: '1000' } as FileIdentity,
    offsets: [] as number[],
    failAt: undefined as number | undefined,
    readRange(name: string, offset: number, length: number): Promise<FileRange> {
      file.offsets.push(offset);
      if (offset === file.failAt) return Promise.reject(new PoolError('session_lost', 'the session ended'));
      const info = { name, type: 'file' as const, sizeBytes: file.identity.size, lastModified: new Date(0) };
      return Promise.resolve({ info, identity: { ...file.identity }, data: file.data.subarray(offset, offset + length) });
    },
  };
  return file;
}

/** Reads the first range, lets `change` alter the file, then reads on: the error, or undefined at a clean end. */
async function downloadAcross(file: ReturnType<typeof memoryFile>, change: () => void): Promise<{ received: string; error: Error | undefined }> {
  const { stream } = await openDownload(file, 'f.txt', { chunkBytes: 4 });
  change();
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return { received: Buffer.concat(chunks).toString(), error: undefined };
  } catch (error) {
    return { received: Buffer.concat(chunks).toString(), error: error as Error };
  }
}

describe('download stream', () => {
  it('reads the file one range at a time, only as it is read, and counts each range', async () => {
    const file = memoryFile('0123456789');
    let ranges = 0;
    const { info, stream } = await openDownload(file, 'f.txt', { chunkBytes: 4, onChunk: () => ranges++ });
    expect(info.sizeBytes).toBe(10);
    expect(file.offsets).toEqual([0]);
    const chunks: string[] = [];
    for await (const chunk of stream) chunks.push((chunk as Buffer).toString());
    expect(chunks).toEqual(['0123', '4567', '89']);
    expect(file.offsets).toEqual([0, 4, 8]);
    expect(ranges).toBe(2);
  });

  it.each([
    ['its modification time', (identity: FileIdentity) => ({ ...identity, mtimeNs: '1001' }), 'it was written to'],
    ['its change time', (identity: FileIdentity) => ({ ...identity, ctimeNs: '1001' }), 'it was written to'],
    ['its inode', (identity: FileIdentity) => ({ ...identity, ino: 8 }), 'it was replaced by another file'],
    ['its device', (identity: FileIdentity) => ({ ...identity, dev: 2 }), 'it was replaced by another file'],
    ['its size', (identity: FileIdentity) => ({ ...identity, size: 12 }), 'its size went from 10 to 12 bytes'],
  ])('fails when %s changes between ranges, after the bytes of the first file only', async (_what, alter, why) => {
    const file = memoryFile('0123456789');
    const { received, error } = await downloadAcross(file, () => {
      file.data = Buffer.from('abcdefghij');
      file.identity = alter(file.identity);
    });
    expect(error).toBeInstanceOf(PoolError);
    expect(error?.message).toBe(`"f.txt" changed while it was downloaded (${why}); download it again once it stops changing.`);
    expect(received).toBe('0123');
  });

  it('passes on the failure of a range and asks for nothing after it', async () => {
    const file = memoryFile('0123456789');
    const { received, error } = await downloadAcross(file, () => {
      file.failAt = 4;
    });
    expect(error).toMatchObject({ code: 'session_lost' });
    expect(received).toBe('0123');
    expect(file.offsets).toEqual([0, 4]);
  });

  it('fails, never hangs, when a range comes back empty before the end of the file', async () => {
    const file = memoryFile('0123456789');
    const { received, error } = await downloadAcross(file, () => {
      file.data = Buffer.from('0123');
    });
    expect(error?.message).toBe('"f.txt" ended at 4 of its 10 bytes.');
    expect(received).toBe('0123');
  });

  it('fails before any byte when the first range fails', async () => {
    const file = memoryFile('0123456789');
    file.failAt = 0;
    await expect(openDownload(file, 'f.txt')).rejects.toMatchObject({ code: 'session_lost' });
  });
});
