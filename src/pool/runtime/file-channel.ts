/**
 * Client of a session's file server (python/tidepool_pool_files.py, run by the session's
 * PID 1). Requests go one at a time in arrival order; uploads stream in chunks, and downloads
 * are read one range per request (file-download.ts), so other operations interleave.
 *
 * The server reads a /mnt/data that user code controls, so the channel trusts nothing it
 * hears: headers and payloads are capped by the frame decoder, replies must match their
 * request's shape, and every reply has a deadline. A server that breaks any of that is ended
 * (`onBroken`, which kills the session) and callers get a `session_lost` error.
 */
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { z } from 'zod';
import { PoolError, type PoolErrorCode, type PoolFileInfo } from '../types.js';
import { BinaryFrameDecoder, encodeBinaryFrame, type BinaryFrame } from './binary-frames.js';

const UPLOAD_CHUNK_BYTES = 256 * 1024;
/** Twice the JSON the file server puts in a listing (MAX_LIST_BYTES there). */
export const DEFAULT_MAX_HEADER_BYTES = 8 * 1024 * 1024;
/** Largest range one read may ask for (MAX_READ_LENGTH in the file server), and so the largest payload a reply may carry. */
export const MAX_RANGE_BYTES = 8 * 1024 * 1024;
/** Largest download; sessions pass their disk limit. */
export const DEFAULT_MAX_FILE_BYTES = 1024 * 1024 * 1024;
/** Every file operation is a few system calls on a tmpfs; a server silent this long is stuck. */
export const DEFAULT_FILE_REQUEST_TIMEOUT_MS = 30_000;

export interface FileChannelOptions {
  /** Cap on a reply's JSON header (default 8 MiB). */
  maxHeaderBytes?: number;
  /** Cap on the size of a file to download, sent to the server and enforced on its replies (default 1 GiB). */
  maxFileBytes?: number;
  /** How long a reply (or room to send an upload chunk) may take (default 30 s). */
  requestTimeoutMs?: number;
  /** Ends the session when the server broke its protocol or stopped answering; the socket is destroyed in any case. */
  onBroken?: () => void;
}

/** A listing; when cut at the file server's caps (10,000 entries, ~4 MiB), `truncated` is true. */
export type FileListing = PoolFileInfo[] & { truncated?: boolean };

const infoSchema = z.object({
  name: z.string(),
  type: z.enum(['file', 'directory']),
  sizeBytes: z.number(),
  lastModifiedMs: z.number(),
});
const infoReply = z.object({ info: infoSchema });
const listReply = z.object({ entries: z.array(infoSchema), truncated: z.boolean().optional() });
const emptyReply = z.object({});
const count = z.number().int().nonnegative();
/** Nanoseconds as a decimal string: JSON numbers lose precision past 2^53. */
const nanoseconds = z.string().regex(/^-?\d{1,30}$/);
const identitySchema = z.object({ dev: count, ino: count, size: count, mtimeNs: nanoseconds, ctimeNs: nanoseconds });
const rangeReply = z.object({ info: infoSchema, identity: identitySchema, offset: count });

/** What changes when a file is replaced or written: device, inode, size, modification and change times. */
export type FileIdentity = z.infer<typeof identitySchema>;

/** Part of a file: `data` starts at the requested offset; `identity` is the file's as it was read. */
export interface FileRange {
  info: PoolFileInfo;
  identity: FileIdentity;
  data: Buffer;
}

interface Waiter {
  resolve: (frame: BinaryFrame) => void;
  reject: (error: Error) => void;
  timer?: NodeJS.Timeout;
}

export class FileChannel {
  readonly #socket: Socket;
  readonly #decoder: BinaryFrameDecoder;
  readonly #waiters = new Map<number, Waiter>();
  readonly #maxFileBytes: number;
  readonly #timeoutMs: number;
  readonly #onBroken: (() => void) | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #nextId = 1;
  #closed: Error | undefined;

  /** `lost` explains a closed channel (the session ended) in the error callers see. */
  constructor(
    socket: Socket,
    private readonly lost: () => PoolError,
    options: FileChannelOptions = {},
  ) {
    this.#socket = socket;
    this.#maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
    this.#timeoutMs = options.requestTimeoutMs ?? DEFAULT_FILE_REQUEST_TIMEOUT_MS;
    this.#onBroken = options.onBroken;
    this.#decoder = new BinaryFrameDecoder({ maxHeaderBytes: options.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES, maxPayloadBytes: MAX_RANGE_BYTES });
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', () => {});
    socket.on('close', () => this.#fail(this.lost()));
  }

  stat(path: string): Promise<PoolFileInfo> {
    return this.#enqueue(async () => toInfo((await this.#request({ op: 'stat', path }, infoReply)).info));
  }

  delete(path: string): Promise<void> {
    return this.#enqueue(async () => {
      await this.#request({ op: 'delete', path }, emptyReply);
    });
  }

  /** The entries in name order, depth first; a listing cut at the server's caps says `truncated`. */
  list(directory: string | undefined, recursive: boolean): Promise<FileListing> {
    return this.#enqueue(async () => {
      const reply = await this.#request({ op: 'list', directory: directory ?? '', recursive }, listReply);
      const entries: FileListing = reply.entries.map(toInfo);
      if (reply.truncated) entries.truncated = true;
      return entries;
    });
  }

  /**
   * The `length` bytes of `path` from `offset` (fewer at its end, none past it). A reply that is
   * not exactly that, by the file size it reports, breaks the protocol and ends the session.
   */
  readRange(path: string, offset: number, length: number): Promise<FileRange> {
    return this.#enqueue(async () => {
      const id = this.#nextId++;
      const reply = this.#await(id);
      this.#send({ op: 'read', path, maxBytes: this.#maxFileBytes, offset, length, id });
      this.#arm(id);
      const frame = await reply;
      const header = this.#check(frame, rangeReply);
      const problem = rangeProblem(header, frame.payload.length, offset, length, this.#maxFileBytes);
      if (problem) throw this.#breach(`broke its protocol (${problem})`);
      return { info: toInfo(header.info), identity: header.identity, data: frame.payload };
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
      // The server answers an upload only at its end, so the deadline starts there.
      this.#arm(id);
      return toInfo(this.#check(await reply, infoReply).info);
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

  async #request<S extends z.ZodType>(header: Record<string, unknown>, schema: S): Promise<z.infer<S>> {
    const id = this.#nextId++;
    const reply = this.#await(id);
    this.#send({ ...header, id });
    this.#arm(id);
    return this.#check(await reply, schema);
  }

  /** A successful reply's header in the shape `schema` expects; any other shape ends the channel. */
  #check<S extends z.ZodType>(frame: BinaryFrame, schema: S): z.infer<S> {
    const parsed = schema.safeParse(frame.header);
    if (parsed.success) return parsed.data;
    const error = this.#breach(`broke its protocol (a reply did not match its request: ${parsed.error.issues[0]?.message ?? 'bad shape'})`);
    throw error;
  }

  #await(id: number): Promise<BinaryFrame> {
    const reply = this.#closed ? Promise.reject(this.#closed) : new Promise<BinaryFrame>((resolve, reject) => this.#waiters.set(id, { resolve, reject }));
    // An upload awaits its reply only after its last chunk; a failure before then is not unhandled.
    reply.catch(() => undefined);
    return reply;
  }

  /** Starts the deadline of the reply to `id`. */
  #arm(id: number): void {
    const waiter = this.#waiters.get(id);
    if (!waiter) return;
    waiter.timer = setTimeout(() => this.#breach(`did not answer within ${this.#timeoutMs} ms`), this.#timeoutMs);
  }

  #send(header: Record<string, unknown>, payload?: Uint8Array): boolean {
    if (this.#closed) return true;
    let flushed = true;
    for (const part of encodeBinaryFrame(header, payload)) flushed = this.#socket.write(part);
    return flushed;
  }

  /** Resolves once the socket can take more, or the channel ended (a server that stops reading is stuck). */
  #drained(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#socket.off('drain', done);
        this.#socket.off('close', done);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#breach(`took no upload data for ${this.#timeoutMs} ms`);
        done();
      }, this.#timeoutMs);
      this.#socket.on('drain', done);
      this.#socket.on('close', done);
    });
  }

  #onData(chunk: Buffer): void {
    if (this.#closed) return;
    let frames: BinaryFrame[];
    try {
      frames = this.#decoder.push(chunk);
    } catch (error) {
      this.#breach(`broke its protocol (${(error as Error).message})`);
      return;
    }
    for (const frame of frames) {
      const id = frame.header.id;
      const waiter = typeof id === 'number' ? this.#waiters.get(id) : undefined;
      if (!waiter) {
        this.#breach('broke its protocol (it answered a request that was not waiting)');
        return;
      }
      this.#waiters.delete(id as number);
      clearTimeout(waiter.timer);
      if (frame.header.ok === true) waiter.resolve(frame);
      else waiter.reject(new PoolError(toCode(frame.header.code), String(frame.header.message ?? 'file operation failed').slice(0, 2000)));
    }
  }

  /** The server broke its protocol or stopped answering (`what` says which): end it and the session. */
  #breach(what: string): Error {
    if (this.#closed) return this.#closed;
    const error = new PoolError(
      'session_lost',
      `The session's file server ${what.slice(0, 300)}, so the session was ended and its files are gone; retry: the next call starts a fresh session.`,
    );
    this.#fail(error);
    this.#socket.destroy();
    this.#onBroken?.();
    return this.#closed!;
  }

  #fail(error: Error): void {
    this.#closed ??= error;
    for (const waiter of this.#waiters.values()) {
      clearTimeout(waiter.timer);
      waiter.reject(this.#closed);
    }
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

/** What is wrong with a range reply, if anything: it must hold exactly the bytes asked for that the file has. */
function rangeProblem(header: z.infer<typeof rangeReply>, received: number, offset: number, length: number, maxFileBytes: number): string | undefined {
  const { size } = header.identity;
  if (header.offset !== offset) return `a read from offset ${offset} was answered for offset ${header.offset}`;
  if (received > length) return `a read of ${length} bytes was answered with ${received}`;
  if (header.info.sizeBytes !== size) return `a read reported two sizes, ${header.info.sizeBytes} and ${size}`;
  if (size > maxFileBytes) return `a read reported a file of ${size} bytes, over the ${maxFileBytes} byte limit`;
  const expected = Math.max(0, Math.min(length, size - offset));
  if (received !== expected) return `a read at offset ${offset} of a ${size} byte file was answered with ${received} bytes, not ${expected}`;
  return undefined;
}

function toCode(code: unknown): PoolErrorCode {
  return code === 'not_found' || code === 'too_large' || code === 'invalid_input' ? code : 'internal';
}

/** The most milliseconds from 1970 a Date can hold, either way. */
const DATE_LIMIT_MS = 8.64e15;

function toInfo(wire: z.infer<typeof infoSchema>): PoolFileInfo {
  // User code may set a modification time far past what a Date holds (tmpfs keeps it); as an
  // Invalid Date it would fail every listing of the session and every Last-Modified header.
  const lastModifiedMs = Math.min(DATE_LIMIT_MS, Math.max(-DATE_LIMIT_MS, wire.lastModifiedMs));
  return { name: wire.name, type: wire.type, sizeBytes: wire.sizeBytes, lastModified: new Date(lastModifiedMs) };
}
