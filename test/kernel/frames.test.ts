import { describe, expect, it } from 'vitest';
import { encodeFrame, FrameDecoder, FrameProtocolError, lengthPrefix } from '../../src/kernel/frames.js';
import { BinaryFrameDecoder, encodeBinaryFrame } from '../../src/pool/runtime/binary-frames.js';

describe('frames', () => {
  it('decodes messages split across and packed into chunks', () => {
    const bytes = Buffer.concat([encodeFrame({ a: 1 }), encodeFrame({ text: 'héllo 🌊' }), encodeFrame([1, 2]), encodeFrame(null)]);
    const decoder = new FrameDecoder(1024);
    const messages: unknown[] = [];
    for (let i = 0; i < bytes.length; i += 3) messages.push(...decoder.push(bytes.subarray(i, i + 3)));
    expect(messages).toEqual([{ a: 1 }, { text: 'héllo 🌊' }, [1, 2], null]);
  });

  it('accepts a frame of exactly the cap', () => {
    const frame = encodeFrame('x'.repeat(98));
    expect(frame.length - 4).toBe(100);
    expect(new FrameDecoder(100).push(frame)).toEqual(['x'.repeat(98)]);
    expect(() => new FrameDecoder(99).push(frame)).toThrow(FrameProtocolError);
  });

  it('rejects an oversized length header from its four bytes, before any body arrives', () => {
    const decoder = new FrameDecoder(1024 * 1024);
    expect(() => decoder.push(lengthPrefix(600 * 1024 * 1024))).toThrow(/629145600 bytes, over the 1048576 byte limit/);
    expect(decoder.byteLength).toBe(0);
    // The stream cannot be resynchronised: everything after the error is refused too.
    expect(() => decoder.push(encodeFrame({ a: 1 }))).toThrow(FrameProtocolError);
  });

  it('rejects a frame that is not JSON', () => {
    const body = Buffer.from('not json');
    expect(() => new FrameDecoder().push(Buffer.concat([lengthPrefix(body.length), body]))).toThrow(/not valid JSON/);
  });

  it('insists on a positive cap', () => {
    expect(() => new FrameDecoder(0)).toThrow(RangeError);
  });
});

describe('binary frames (file channel)', () => {
  const limits = { maxHeaderBytes: 1024, maxPayloadBytes: 4096 };

  it('decodes headers with and without payloads, split anywhere', () => {
    const bytes = Buffer.concat([
      ...encodeBinaryFrame({ id: 1, ok: true }),
      ...encodeBinaryFrame({ id: 2, ok: true }, new Uint8Array([1, 2, 3])),
      ...encodeBinaryFrame({ id: 3, ok: true }),
    ]);
    const decoder = new BinaryFrameDecoder(limits);
    const frames = [];
    for (let i = 0; i < bytes.length; i += 5) frames.push(...decoder.push(bytes.subarray(i, i + 5)));
    expect(frames.map((frame) => [frame.header.id, [...frame.payload]])).toEqual([
      [1, []],
      [2, [1, 2, 3]],
      [3, []],
    ]);
  });

  it('uses the same header cap as the kernel decoder', () => {
    expect(() => new BinaryFrameDecoder(limits).push(lengthPrefix(2048))).toThrow(/2048 bytes, over the 1024 byte limit/);
  });

  it('rejects an announced payload over its cap before it arrives', () => {
    const [length, body] = encodeBinaryFrame({ id: 1, ok: true, bytes: 1_000_000_000 });
    expect(() => new BinaryFrameDecoder(limits).push(Buffer.concat([length!, body!]))).toThrow(/payload of 1000000000 bytes/);
  });

  it('rejects headers that are not objects or announce a nonsensical payload', () => {
    for (const header of [[1], 'text', { id: 1, bytes: -1 }, { id: 1, bytes: 1.5 }, { id: 1, bytes: '9' }]) {
      expect(() => new BinaryFrameDecoder(limits).push(encodeFrame(header))).toThrow(FrameProtocolError);
    }
  });
});
