/**
 * Frames of the session file channel: a 4-byte big-endian length, a UTF-8 JSON header, and,
 * when the header says `bytes: N`, N raw bytes (so file contents travel without base64).
 * The length-prefixed header is the kernel's frame, decoded by the kernel's FrameDecoder with
 * its cap; the payload has a cap of its own, checked as soon as the header announces it.
 */
import { FrameDecoder, lengthPrefix } from '../../kernel/frames.js';

export interface BinaryFrame {
  header: Record<string, unknown>;
  payload: Buffer;
}

export interface BinaryFrameLimits {
  /** Largest JSON header (a file listing is the largest the file server sends). */
  maxHeaderBytes: number;
  /** Largest payload (a whole file, for a read). */
  maxPayloadBytes: number;
}

export function encodeBinaryFrame(header: Record<string, unknown>, payload?: Uint8Array): Buffer[] {
  const body = Buffer.from(JSON.stringify(payload && payload.length > 0 ? { ...header, bytes: payload.length } : header), 'utf8');
  const length = lengthPrefix(body.length);
  return payload && payload.length > 0 ? [length, body, Buffer.from(payload.buffer, payload.byteOffset, payload.length)] : [length, body];
}

/** Throws FrameProtocolError on an oversized header or payload, a header that is not a JSON object, or a bad `bytes`. */
export class BinaryFrameDecoder {
  readonly #frames: FrameDecoder;
  readonly #maxPayloadBytes: number;
  #header: Record<string, unknown> | undefined;
  #payloadBytes = 0;

  constructor(limits: BinaryFrameLimits) {
    this.#frames = new FrameDecoder(limits.maxHeaderBytes);
    this.#maxPayloadBytes = limits.maxPayloadBytes;
  }

  push(chunk: Buffer): BinaryFrame[] {
    this.#frames.append(chunk);
    const frames: BinaryFrame[] = [];
    for (;;) {
      if (this.#header === undefined) {
        const next = this.#frames.next();
        if (!next) break;
        this.#header = this.#checkHeader(next.value);
        this.#payloadBytes = (this.#header.bytes as number | undefined) ?? 0;
      }
      if (this.#frames.byteLength < this.#payloadBytes) break;
      frames.push({ header: this.#header, payload: this.#frames.takeBytes(this.#payloadBytes) });
      this.#header = undefined;
      this.#payloadBytes = 0;
    }
    return frames;
  }

  #checkHeader(value: unknown): Record<string, unknown> {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.#frames.fail('a frame header is not a JSON object');
    const header = value as Record<string, unknown>;
    const bytes = header.bytes;
    if (bytes !== undefined && (typeof bytes !== 'number' || !Number.isSafeInteger(bytes) || bytes < 0)) {
      this.#frames.fail(`a frame header announced ${JSON.stringify(bytes)} payload bytes`);
    }
    if (typeof bytes === 'number' && bytes > this.#maxPayloadBytes) {
      this.#frames.fail(`a frame announced a payload of ${bytes} bytes, over the ${this.#maxPayloadBytes} byte limit of this channel`);
    }
    return header;
  }
}
