/**
 * Frames of the session file channel: a 4-byte big-endian length, a UTF-8 JSON header, and,
 * when the header says `bytes: N`, N raw bytes (so file contents travel without base64).
 */
import { MAX_FRAME_BYTES } from '../../kernel/frames.js';

export interface BinaryFrame {
  header: Record<string, unknown>;
  payload: Buffer;
}

export function encodeBinaryFrame(header: Record<string, unknown>, payload?: Uint8Array): Buffer[] {
  const body = Buffer.from(JSON.stringify(payload && payload.length > 0 ? { ...header, bytes: payload.length } : header), 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length, 0);
  return payload && payload.length > 0 ? [length, body, Buffer.from(payload.buffer, payload.byteOffset, payload.length)] : [length, body];
}

export class BinaryFrameDecoder {
  // Chunks are only joined once a whole frame is in, so a large download is copied once.
  #chunks: Buffer[] = [];
  #buffered = 0;
  #header: Record<string, unknown> | undefined;
  #payloadBytes = 0;

  push(chunk: Buffer): BinaryFrame[] {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    const frames: BinaryFrame[] = [];
    for (;;) {
      if (this.#header === undefined) {
        if (this.#buffered < 4) break;
        const length = this.#peek(4).readUInt32BE(0);
        if (length > MAX_FRAME_BYTES) throw new Error(`file channel frame of ${length} bytes is too large`);
        if (this.#buffered < 4 + length) break;
        const header = JSON.parse(this.#take(4 + length).subarray(4).toString('utf8')) as Record<string, unknown>;
        this.#header = header;
        this.#payloadBytes = typeof header.bytes === 'number' ? header.bytes : 0;
      }
      if (this.#buffered < this.#payloadBytes) break;
      const payload = this.#take(this.#payloadBytes);
      frames.push({ header: this.#header, payload });
      this.#header = undefined;
      this.#payloadBytes = 0;
    }
    return frames;
  }

  #peek(size: number): Buffer {
    if (this.#chunks[0]!.length < size) this.#chunks = [Buffer.concat(this.#chunks)];
    return this.#chunks[0]!.subarray(0, size);
  }

  #take(size: number): Buffer {
    if (size === 0) return Buffer.alloc(0);
    const all = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks);
    const taken = all.subarray(0, size);
    const rest = all.subarray(size);
    this.#chunks = rest.length > 0 ? [rest] : [];
    this.#buffered = rest.length;
    return taken;
  }
}
