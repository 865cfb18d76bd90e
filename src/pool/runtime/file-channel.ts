/**
 * Client of a session's file server (python/tidepool_pool_files.py, run by the session's
 * PID 1). Requests go one at a time in arrival order; uploads stream in chunks.
 */
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { PoolError, type PoolErrorCode, type PoolFileInfo } from '../types.js';
import { BinaryFrameDecoder, encodeBinaryFrame, type BinaryFrame } from './binary-frames.js';

const UPLOAD_CHUNK_BYTES = 256 * 1024;

interface WireInfo {
  name: string;
  type: 'file' | 'directory';
  sizeBytes: number;
  lastModifiedMs: number;
}

interface Waiter {
  resolve: (frame: BinaryFrame) => void;
  reject: (error: Error) => void;
}

export class FileChannel {
  readonly #socket: Socket;
  readonly #decoder = new BinaryFrameDecoder();
  readonly #waiters = new Map<number, Waiter>();
  #queue: Promise<unknown> = Promise.resolve();
  #nextId = 1;
  #closed: Error | undefined;

  /** `lost` explains a closed channel (the session ended) in the error callers see. */
  constructor(
    socket: Socket,
    private readonly lost: () => PoolError,
  ) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', () => {});
    socket.on('close', () => this.#fail(this.lost()));
  }

  stat(path: string): Promise<PoolFileInfo> {
    return this.#enqueue(async () => toInfo((await this.#request({ op: 'stat', path })).header.info as WireInfo));
  }

  delete(path: string): Promise<void> {
    return this.#enqueue(async () => {
      await this.#request({ op: 'delete', path });
    });
  }

  list(directory: string | undefined, recursive: boolean): Promise<PoolFileInfo[]> {
    return this.#enqueue(async () => {
      const frame = await this.#request({ op: 'list', directory: directory ?? '', recursive });
      return (frame.header.entries as WireInfo[]).map(toInfo);
    });
  }

  read(path: string): Promise<{ info: PoolFileInfo; data: Buffer }> {
    return this.#enqueue(async () => {
      const frame = await this.#request({ op: 'read', path });
      return { info: toInfo(frame.header.info as WireInfo), data: frame.payload };
    });
  }

  /** Streams `data` into `path`; more than `maxBytes` aborts the upload with `too_large`. */
  write(path: string, data: Readable | Uint8Array, maxBytes: number): Promise<PoolFileInfo> {
    return this.#enqueue(async () => {
      const id = this.#nextId++;
      const reply = this.#await(id);
      this.#send({ op: 'write', id, path });
      let total = 0;
      let abort: string | undefined;
      try {
        for await (const chunk of chunksOf(data)) {
          total += chunk.length;
          if (total > maxBytes) {
            abort = `The upload is larger than the session's disk limit (${maxBytes} bytes); upload a smaller file or raise --disk-mb.`;
            break;
          }
          if (this.#closed) break;
          if (!this.#send({ op: 'chunk', id }, chunk)) await this.#drained();
        }
      } catch (error) {
        abort = `The upload stream failed: ${(error as Error).message}`;
      }
      this.#send(abort ? { op: 'abort', id, message: abort } : { op: 'end', id });
      const frame = await reply;
      return toInfo(frame.header.info as WireInfo);
    });
  }

  close(): void {
    this.#socket.destroy();
  }

  #enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task, task);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #request(header: Record<string, unknown>): Promise<BinaryFrame> {
    const id = this.#nextId++;
    const reply = this.#await(id);
    this.#send({ ...header, id });
    return reply;
  }

  #await(id: number): Promise<BinaryFrame> {
    if (this.#closed) return Promise.reject(this.#closed);
    return new Promise((resolve, reject) => this.#waiters.set(id, { resolve, reject }));
  }

  #send(header: Record<string, unknown>, payload?: Uint8Array): boolean {
    if (this.#closed) return true;
    let flushed = true;
    for (const part of encodeBinaryFrame(header, payload)) flushed = this.#socket.write(part);
    return flushed;
  }

  #drained(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.#socket.off('drain', done);
        this.#socket.off('close', done);
        resolve();
      };
      this.#socket.on('drain', done);
      this.#socket.on('close', done);
    });
  }

  #onData(chunk: Buffer): void {
    let frames: BinaryFrame[];
    try {
      frames = this.#decoder.push(chunk);
    } catch (error) {
      this.#fail(new PoolError('internal', `The session's file server broke its protocol: ${(error as Error).message}`));
      this.#socket.destroy();
      return;
    }
    for (const frame of frames) {
      const id = frame.header.id as number;
      const waiter = this.#waiters.get(id);
      if (!waiter) continue;
      this.#waiters.delete(id);
      if (frame.header.ok === true) waiter.resolve(frame);
      else waiter.reject(new PoolError(toCode(frame.header.code), String(frame.header.message ?? 'file operation failed')));
    }
  }

  #fail(error: Error): void {
    this.#closed ??= error;
    for (const waiter of this.#waiters.values()) waiter.reject(this.#closed);
    this.#waiters.clear();
  }
}

async function* chunksOf(data: Readable | Uint8Array): AsyncGenerator<Uint8Array> {
  if (data instanceof Uint8Array) {
    for (let offset = 0; offset < data.length; offset += UPLOAD_CHUNK_BYTES) yield data.subarray(offset, offset + UPLOAD_CHUNK_BYTES);
    return;
  }
  for await (const chunk of data) yield typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Uint8Array);
}

function toCode(code: unknown): PoolErrorCode {
  return code === 'not_found' || code === 'too_large' || code === 'invalid_input' ? code : 'internal';
}

function toInfo(wire: WireInfo): PoolFileInfo {
  return { name: wire.name, type: wire.type, sizeBytes: wire.sizeBytes, lastModified: new Date(wire.lastModifiedMs) };
}
