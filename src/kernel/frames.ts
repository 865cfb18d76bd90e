/**
 * The kernel's wire format: a 4-byte big-endian length, then that many bytes of UTF-8 JSON.
 * The byte queue below also serves the pool's file channel, whose frames start the same way.
 */

/** A frame this large can only come from a broken or hostile kernel. */
export const MAX_FRAME_BYTES = 512 * 1024 * 1024;

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

export class FrameProtocolError extends Error {}

/**
 * Bytes received but not yet decoded. Chunks are only joined once a whole frame is in, so a
 * large frame is copied once.
 */
export class ByteQueue {
  #chunks: Buffer[] = [];
  #buffered = 0;

  get byteLength(): number {
    return this.#buffered;
  }

  push(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
  }

  /**
   * The body of the next length-prefixed frame, or undefined until all of it is in. A length over
   * MAX_FRAME_BYTES throws what `tooLarge` makes of it.
   */
  takeFrame(tooLarge: (length: number) => Error): Buffer | undefined {
    if (this.#buffered < 4) return undefined;
    const length = this.#peek(4).readUInt32BE(0);
    if (length > MAX_FRAME_BYTES) throw tooLarge(length);
    if (this.#buffered < 4 + length) return undefined;
    return this.take(4 + length).subarray(4);
  }

  /** The next `size` bytes; the caller has checked that they are in. */
  take(size: number): Buffer {
    if (size === 0) return Buffer.alloc(0);
    const all = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks);
    const taken = all.subarray(0, size);
    const rest = all.subarray(size);
    this.#chunks = rest.length > 0 ? [rest] : [];
    this.#buffered = rest.length;
    return taken;
  }

  #peek(size: number): Buffer {
    if (this.#chunks[0]!.length < size) this.#chunks = [Buffer.concat(this.#chunks)];
    return this.#chunks[0]!.subarray(0, size);
  }
}

/** Collects bytes and yields complete decoded messages. */
export class FrameDecoder {
  readonly #queue = new ByteQueue();

  push(chunk: Buffer): unknown[] {
    this.#queue.push(chunk);
    const messages: unknown[] = [];
    for (;;) {
      const frame = this.#queue.takeFrame((length) => new FrameProtocolError(`frame of ${length} bytes exceeds the ${MAX_FRAME_BYTES} byte limit`));
      if (!frame) break;
      try {
        messages.push(JSON.parse(frame.toString('utf8')));
      } catch (error) {
        throw new FrameProtocolError(`frame is not valid JSON: ${(error as Error).message}`);
      }
    }
    return messages;
  }
}
