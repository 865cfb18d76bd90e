import { describe, expect, it } from 'vitest';
import { encodeFrame, FrameDecoder, FrameProtocolError, MAX_FRAME_BYTES } from '../../src/kernel/frames.js';

describe('frames', () => {
  it('decodes messages split across and packed into chunks', () => {
    const bytes = Buffer.concat([encodeFrame({ a: 1 }), encodeFrame({ text: 'héllo 🌊' }), encodeFrame([1, 2])]);
    const decoder = new FrameDecoder();
    const messages: unknown[] = [];
    for (let i = 0; i < bytes.length; i += 3) messages.push(...decoder.push(bytes.subarray(i, i + 3)));
    expect(messages).toEqual([{ a: 1 }, { text: 'héllo 🌊' }, [1, 2]]);
  });

  it('rejects an oversized length header before buffering it', () => {
    const header = Buffer.alloc(4);
    header.writeUInt32BE(MAX_FRAME_BYTES + 1);
    expect(() => new FrameDecoder().push(header)).toThrow(FrameProtocolError);
  });

  it('rejects a frame that is not JSON', () => {
    const body = Buffer.from('not json');
    const header = Buffer.alloc(4);
    header.writeUInt32BE(body.length);
    expect(() => new FrameDecoder().push(Buffer.concat([header, body]))).toThrow(/not valid JSON/);
  });
});
