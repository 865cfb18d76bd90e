/**
 * A session file as a stream that reads one range per request on the session's file channel,
 * only when its reader wants more. The server holds at most about one range per download, a
 * stalled reader never holds the channel (other file operations go between ranges), and a
 * download its reader abandons (the stream is destroyed) asks for nothing more.
 *
 * User code may change the file between two ranges; every range carries the file's identity,
 * and one that differs from the first ends the download with an error instead of sending a mix
 * of two files.
 */
import { Readable } from 'node:stream';
import { PoolError, type PoolFileInfo } from '../types.js';
import type { FileIdentity, FileRange } from './file-channel.js';

/** How much of a file one request reads. */
export const DOWNLOAD_CHUNK_BYTES = 1024 * 1024;

export interface RangeReader {
  readRange(path: string, offset: number, length: number): Promise<FileRange>;
}

export interface DownloadOptions {
  /** Bytes per request (default 1 MiB). */
  chunkBytes?: number;
  /** Called after each range arrives (the session manager counts a download as activity). */
  onChunk?: () => void;
}

/**
 * Reads the first range at once, so a missing, oversized or non-regular file fails before any
 * response header; `info.sizeBytes` (the Content-Length) is the size that range reported.
 */
export async function openDownload(files: RangeReader, path: string, options: DownloadOptions = {}): Promise<{ info: PoolFileInfo; stream: Readable }> {
  const chunkBytes = options.chunkBytes ?? DOWNLOAD_CHUNK_BYTES;
  const first = await files.readRange(path, 0, chunkBytes);
  return { info: first.info, stream: new DownloadStream(files, path, first, chunkBytes, options.onChunk) };
}

class DownloadStream extends Readable {
  readonly #identity: FileIdentity;
  #first: Buffer | undefined;
  #offset = 0;
  #reading = false;

  constructor(
    private readonly files: RangeReader,
    private readonly path: string,
    first: FileRange,
    private readonly chunkBytes: number,
    private readonly onChunk: (() => void) | undefined,
  ) {
    super({ highWaterMark: chunkBytes });
    this.#identity = first.identity;
    this.#first = first.data;
  }

  override _read(): void {
    if (this.#first) {
      const data = this.#first;
      this.#first = undefined;
      this.#deliver(data);
      return;
    }
    if (this.#reading) return;
    this.#reading = true;
    this.files.readRange(this.path, this.#offset, this.chunkBytes).then(
      (range) => {
        this.#reading = false;
        if (this.destroyed) return;
        if (!sameFile(range.identity, this.#identity)) {
          this.destroy(new PoolError('internal', `"${this.path}" changed while it was downloaded (${describeChange(this.#identity, range.identity)}); download it again once it stops changing.`));
          return;
        }
        this.onChunk?.();
        this.#deliver(range.data);
      },
      (error: Error) => {
        this.#reading = false;
        this.destroy(error);
      },
    );
  }

  /** Pushes the next bytes, and the end once the file's size is reached. */
  #deliver(data: Buffer): void {
    if (this.destroyed) return;
    const size = this.#identity.size;
    if (data.length === 0 && this.#offset < size) {
      // The channel checks each range against its size, so this means a broken check: fail, never hang.
      this.destroy(new PoolError('internal', `"${this.path}" ended at ${this.#offset} of its ${size} bytes.`));
      return;
    }
    this.#offset += data.length;
    if (data.length > 0) this.push(data);
    if (this.#offset >= size) this.push(null);
  }
}

function sameFile(a: FileIdentity, b: FileIdentity): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs;
}

function describeChange(before: FileIdentity, after: FileIdentity): string {
  if (before.dev !== after.dev || before.ino !== after.ino) return 'it was replaced by another file';
  if (before.size !== after.size) return `its size went from ${before.size} to ${after.size} bytes`;
  return 'it was written to';
}
