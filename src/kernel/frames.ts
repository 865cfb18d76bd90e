/**
 * The kernel's wire format: a 4-byte big-endian length, then that many bytes of UTF-8 JSON.
 */

/** A frame this large can only come from a broken or hostile kernel. */
export const MAX_FRAME_BYTES = 512 * 1024 * 1024;

export function encodeFrame(message: unknown): Buffer {
  const payload = Buffer.from(JSON.stringify(message), 'utf8');
  const header = Buffer.alloc(4);
  header.writeUInt32BE(payload.length, 0);
  return Buffer.concat([header, payload]);
}

export class FrameProtocolError extends Error {}

/** Collects bytes and yields complete decoded messages. */
export class FrameDecoder {
  #chunks: Buffer[] = [];
  #buffered = 0;

  push(chunk: Buffer): unknown[] {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    const messages: unknown[] = [];
    for (;;) {
      if (this.#buffered < 4) break;
      const head = this.#peek(4);
      const length = head.readUInt32BE(0);
      if (length > MAX_FRAME_BYTES) throw new FrameProtocolError(`frame of ${length} bytes exceeds the ${MAX_FRAME_BYTES} byte limit`);
      if (this.#buffered < 4 + length) break;
      const frame = this.#take(4 + length).subarray(4);
      try {
        messages.push(JSON.parse(frame.toString('utf8')));
      } catch (error) {
        throw new FrameProtocolError(`frame is not valid JSON: ${(error as Error).message}`);
      }
    }
    return messages;
  }

  #peek(size: number): Buffer {
    if (this.#chunks[0]!.length < size) this.#chunks = [Buffer.concat(this.#chunks)];
    return this.#chunks[0]!.subarray(0, size);
  }

  #take(size: number): Buffer {
    const all = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks);
    const taken = all.subarray(0, size);
    const rest = all.subarray(size);
    this.#chunks = rest.length > 0 ? [rest] : [];
    this.#buffered = rest.length;
    return taken;
  }
}
