/**
 * The kernel's wire format: a 4-byte big-endian length, then that many bytes of UTF-8 JSON.
 * The pool's file channel starts its frames the same way and decodes them with this decoder.
 *
 * Every decoder is built with a maximum frame size and checks the length header against it
 * before it buffers a byte of the body: the peer may be hostile (user code can write into a
 * kernel's socket), and a frame announcing hundreds of megabytes must cost nothing but the
 * four bytes that announced it.
 */

/** For peers without a cap of their own (the zygote's control channel): no legitimate frame comes near it. */
export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;

/** The 4-byte big-endian length that starts every frame. */
export function lengthPrefix(byteLength: number): Buffer {
  const prefix = Buffer.alloc(4);
  prefix.writeUInt32BE(byteLength, 0);
  return prefix;
}

export function encodeFrame(message: unknown): Buffer {
  const payload = Buffer.from(JSON.stringify(message), 'utf8');
  return Buffer.concat([lengthPrefix(payload.length), payload]);
}

/** The peer broke the framing: a frame over the cap, a body that is not JSON, or bytes after an earlier error. */
export class FrameProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FrameProtocolError';
  }
}

/**
 * Decodes length-prefixed JSON frames from a byte stream. Chunks are only joined once a whole
 * frame is in, so a large frame is copied once. After the first error every later call throws
 * too: the stream cannot be resynchronised, and the caller is expected to end the peer.
 */
export class FrameDecoder {
  readonly maxFrameBytes: number;
  #chunks: Buffer[] = [];
  #buffered = 0;
  #broken: FrameProtocolError | undefined;

  constructor(maxFrameBytes: number = DEFAULT_MAX_FRAME_BYTES) {
    if (!Number.isSafeInteger(maxFrameBytes) || maxFrameBytes < 1) throw new RangeError(`maxFrameBytes must be a positive integer, got ${maxFrameBytes}`);
    this.maxFrameBytes = maxFrameBytes;
  }

  /** Bytes received and not yet taken. */
  get byteLength(): number {
    return this.#buffered;
  }

  /** Appends `chunk` and returns every message now complete. */
  push(chunk: Buffer): unknown[] {
    this.append(chunk);
    const messages: unknown[] = [];
    for (let message = this.next(); message !== undefined; message = this.next()) messages.push(message.value);
    return messages;
  }

  append(chunk: Buffer): void {
    if (this.#broken) throw this.#broken;
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
  }

  /** The next complete message (wrapped, since `null` is a message), or undefined until one is in. */
  next(): { value: unknown } | undefined {
    if (this.#broken) throw this.#broken;
    if (this.#buffered < 4) return undefined;
    const length = this.#peek(4).readUInt32BE(0);
    if (length > this.maxFrameBytes) {
      return this.#break(`a frame announced ${length} bytes, over the ${this.maxFrameBytes} byte limit of this channel`);
    }
    if (this.#buffered < 4 + length) return undefined;
    const body = this.takeBytes(4 + length).subarray(4);
    try {
      return { value: JSON.parse(body.toString('utf8')) as unknown };
    } catch (error) {
      return this.#break(`a frame of ${length} bytes is not valid JSON (${(error as Error).message})`);
    }
  }

  /** The next `size` raw bytes (a payload that follows a frame); the caller has checked that they are in. */
  takeBytes(size: number): Buffer {
    if (size === 0) return Buffer.alloc(0);
    const all = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks);
    const taken = all.subarray(0, size);
    const rest = all.subarray(size);
    this.#chunks = rest.length > 0 ? [rest] : [];
    this.#buffered = rest.length;
    return taken;
  }

  /** Marks the stream as unusable (also for errors found by a caller, e.g. a bad payload size) and throws. */
  fail(message: string): never {
    return this.#break(message);
  }

  #break(message: string): never {
    this.#broken = new FrameProtocolError(message);
    this.#chunks = [];
    this.#buffered = 0;
    throw this.#broken;
  }

  #peek(size: number): Buffer {
    if (this.#chunks[0]!.length < size) this.#chunks = [Buffer.concat(this.#chunks)];
    return this.#chunks[0]!.subarray(0, size);
  }
}
