/**
 * Frames of the session file channel: a 4-byte big-endian length, a UTF-8 JSON header, and,
 * when the header says `bytes: N`, N raw bytes (so file contents travel without base64).
 * The length-prefixed header is the kernel's frame, so the kernel's byte queue reads it.
 */
import { ByteQueue, lengthPrefix } from '../../kernel/frames.js';

export interface BinaryFrame {
  header: Record<string, unknown>;
  payload: Buffer;
}

export function encodeBinaryFrame(header: Record<string, unknown>, payload?: Uint8Array): Buffer[] {
  const body = Buffer.from(JSON.stringify(payload && payload.length > 0 ? { ...header, bytes: payload.length } : header), 'utf8');
  const length = lengthPrefix(body.length);
  return payload && payload.length > 0 ? [length, body, Buffer.from(payload.buffer, payload.byteOffset, payload.length)] : [length, body];
}

export class BinaryFrameDecoder {
  readonly #queue = new ByteQueue();
  #header: Record<string, unknown> | undefined;
  #payloadBytes = 0;

  push(chunk: Buffer): BinaryFrame[] {
    this.#queue.push(chunk);
    const frames: BinaryFrame[] = [];
    for (;;) {
      if (this.#header === undefined) {
        const body = this.#queue.takeFrame((length) => new Error(`file channel frame of ${length} bytes is too large`));
        if (!body) break;
        const header = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
        this.#header = header;
        this.#payloadBytes = typeof header.bytes === 'number' ? header.bytes : 0;
      }
      if (this.#queue.byteLength < this.#payloadBytes) break;
      const payload = this.#queue.take(this.#payloadBytes);
      frames.push({ header: this.#header, payload });
      this.#header = undefined;
      this.#payloadBytes = 0;
    }
    return frames;
  }
}
