/**
 * Fuzzing the kernel protocol from the host side. The kernel runs user code that can write into
 * its socket, so the host must treat every byte from it as hostile: the frame decoder either
 * returns the messages a well-formed stream holds or throws FrameProtocolError (and keeps
 * throwing), and the KernelClient either resolves with a well-shaped answer to the request in
 * flight or fails with KernelDiedError and ends the kernel — never another error, a hang or an
 * unhandled rejection.
 */
import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { KernelDiedError } from '../../src/kernel/errors.js';
import { encodeFrame, FrameDecoder, FrameProtocolError, lengthPrefix } from '../../src/kernel/frames.js';
import { KernelClient } from '../../src/kernel/kernel-client.js';
import type { KernelExit, KernelTransport } from '../../src/kernel/types.js';
import { fuzzSettings, recordFuzzSection, Tally } from './support/fuzz-settings.js';
import { failOnUnhandledRejections } from './support/unhandled-rejections.js';

const settings = fuzzSettings(400);
const outcomes = new Tally();
const runsByProperty: Record<string, number> = {};
const unhandled = failOnUnhandledRejections();

afterAll(async () => {
  await recordFuzzSection(settings.recordDir, 'fuzz-kernel', { seed: settings.seed, runsByProperty, outcomes: outcomes.counts, unhandledRejections: unhandled.count });
});

/** Splits `bytes` at the given cut points (taken modulo its length). */
function chunked(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((cut) => (bytes.length === 0 ? 0 : cut % bytes.length)))].filter((point) => point > 0).sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const point of points) {
    chunks.push(bytes.subarray(start, point));
    start = point;
  }
  chunks.push(bytes.subarray(start));
  return chunks;
}

const jsonMessage = fc.jsonValue({ maxDepth: 3 });

describe('frame decoder under hostile bytes', () => {
  it('gives back exactly the messages of a well-formed stream, however it is cut', () => {
    const runs = settings.runs(1);
    runsByProperty['decoder: well-formed streams'] = runs;
    fc.assert(
      fc.property(fc.array(jsonMessage, { maxLength: 10 }), fc.array(fc.nat(), { maxLength: 20 }), (messages, cuts) => {
        const decoder = new FrameDecoder(1024 * 1024);
        const decoded = chunked(Buffer.concat(messages.map(encodeFrame)), cuts).flatMap((chunk) => decoder.push(chunk));
        // JSON does not keep -0; the encoder's view of a message is its JSON text.
        expect(decoded).toEqual(messages.map((message) => JSON.parse(JSON.stringify(message))));
        expect(decoder.byteLength).toBe(0);
      }),
      { numRuns: runs, seed: settings.seed },
    );
  });

  it('meets random, truncated and oversized frames with FrameProtocolError only, and stays broken after one', () => {
    const runs = settings.runs(1);
    runsByProperty['decoder: hostile bytes'] = runs;
    const hostile = fc.oneof(
      fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
      fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.uint8Array({ maxLength: 100 })).map(([length, body]) => Buffer.concat([lengthPrefix(length), Buffer.from(body)])),
      fc.string({ maxLength: 100 }).map((text) => Buffer.concat([lengthPrefix(Buffer.byteLength(text)), Buffer.from(text)])),
      jsonMessage.map((message) => {
        const frame = encodeFrame(message);
        return frame.subarray(0, Math.max(0, frame.length - 1));
      }),
    );
    fc.assert(
      fc.property(fc.array(hostile, { minLength: 1, maxLength: 5 }), fc.array(fc.nat(), { maxLength: 10 }), fc.integer({ min: 1, max: 4096 }), (parts, cuts, cap) => {
        const decoder = new FrameDecoder(cap);
        let broken = false;
        for (const chunk of chunked(Buffer.concat(parts), cuts)) {
          try {
            decoder.push(chunk);
            expect(broken, 'a broken decoder never decodes again').toBe(false);
          } catch (error) {
            expect(error).toBeInstanceOf(FrameProtocolError);
            broken = true;
          }
          // Nothing beyond the cap is ever held for a frame announced larger than the cap.
          expect(decoder.byteLength).toBeLessThanOrEqual(broken ? 0 : Buffer.concat(parts).length);
        }
        outcomes.add(broken ? 'decoder: FrameProtocolError' : 'decoder: waiting or decoded');
      }),
      { numRuns: runs, seed: settings.seed },
    );
  });
});

/** A kernel that answers from a script: the host writes requests to `input`, the fuzzer writes bytes to `output`. */
class ScriptedKernel implements KernelTransport {
  readonly input = new PassThrough();
  readonly output = new PassThrough();
  readonly exited: Promise<KernelExit>;
  killed = false;
  #exit!: (exit: KernelExit) => void;

  constructor() {
    this.exited = new Promise((resolve) => (this.#exit = resolve));
  }

  interrupt(): void {}

  kill(): void {
    this.killed = true;
    this.#exit({ code: null, signal: 'SIGKILL' });
  }

  exit(code: number): void {
    this.#exit({ code, signal: null });
  }

  diagnostics(): string {
    return '';
  }

  /** The next request the host sent (the id it expects an answer to). */
  async nextRequest(): Promise<{ id: number; op: string }> {
    const decoder = new FrameDecoder();
    for await (const chunk of this.input) {
      const [message] = decoder.push(chunk as Buffer);
      if (message !== undefined) return message as { id: number; op: string };
    }
    throw new Error('the host closed the kernel input');
  }
}

const goodAnswer = (id: number) => ({ id, status: 'success', stdout: 'out', stderr: '', hasResult: true, result: 42, repr: '42', images: [], error: null, durationMs: 3 });

/** `wellFormed`: the request in flight gets an answer; `ends`: the kernel must be ended (at once or after that answer). */
type Reply = { kind: string; bytes: (id: number) => Buffer; wellFormed: boolean; thenExit: boolean; ends?: boolean };

const reply: fc.Arbitrary<Reply> = fc.oneof(
  fc.constant<Reply>({ kind: 'valid answer', bytes: (id) => encodeFrame(goodAnswer(id)), wellFormed: true, thenExit: false }),
  fc.integer({ min: -3, max: 3 }).filter((delta) => delta !== 0).map<Reply>((delta) => ({ kind: 'wrong id', bytes: (id) => encodeFrame(goodAnswer(id + delta)), wellFormed: false, thenExit: false })),
  fc.constantFrom('status', 'stdout', 'hasResult', 'result', 'images', 'error', 'durationMs').map<Reply>((field) => ({
    kind: 'wrong shape',
    bytes: (id) => encodeFrame({ ...goodAnswer(id), [field]: { nested: [field] } }),
    wellFormed: false,
    thenExit: false,
  })),
  jsonMessage.map<Reply>((message) => ({ kind: 'any JSON', bytes: () => encodeFrame(message), wellFormed: false, thenExit: false })),
  // The first answer is the reply; the second arrives while nothing is waiting, so the kernel is ended.
  fc.constant<Reply>({ kind: 'two answers', bytes: (id) => Buffer.concat([encodeFrame(goodAnswer(id)), encodeFrame(goodAnswer(id))]), wellFormed: true, thenExit: false, ends: true }),
  fc.integer({ min: 1, max: 60 }).map<Reply>((cut) => ({ kind: 'truncated, then exit', bytes: (id) => encodeFrame(goodAnswer(id)).subarray(0, cut), wellFormed: false, thenExit: true })),
  fc.integer({ min: 64 * 1024 + 1, max: 0xffffffff }).map<Reply>((length) => ({ kind: 'oversized', bytes: () => lengthPrefix(length), wellFormed: false, thenExit: false })),
  fc.uint8Array({ minLength: 1, maxLength: 200 }).map<Reply>((bytes) => ({ kind: 'random bytes, then exit', bytes: () => Buffer.from(bytes), wellFormed: false, thenExit: true })),
  fc.string({ maxLength: 50 }).map<Reply>((text) => ({ kind: 'not JSON', bytes: () => Buffer.concat([lengthPrefix(Buffer.byteLength(`{${text}`)), Buffer.from(`{${text}`)]), wellFormed: false, thenExit: false })),
);

describe('kernel client under a hostile kernel', () => {
  it('resolves only a well-formed answer to the request in flight; anything else is KernelDiedError and the kernel ends', async () => {
    const runs = settings.runs(0.5);
    runsByProperty['client: hostile replies'] = runs;
    await fc.assert(
      fc.asyncProperty(reply, fc.array(fc.nat(), { maxLength: 8 }), async (script, cuts) => {
        const kernel = new ScriptedKernel();
        const client = new KernelClient(kernel, { maxResponseBytes: 64 * 1024 });
        const answer = client.execute('1 + 1', { timeoutMs: 30_000 }).then(
          (value) => ({ ok: true as const, value }),
          (error: unknown) => ({ ok: false as const, error }),
        );
        const { id } = await kernel.nextRequest();
        for (const chunk of chunked(script.bytes(id), cuts)) kernel.output.write(chunk);
        if (script.thenExit) kernel.exit(1);
        const settled = await answer;
        if (script.wellFormed) {
          expect(settled.ok, `${script.kind}: ${settled.ok ? '' : String(settled.error)}`).toBe(true);
          if (settled.ok) expect(settled.value).toMatchObject({ status: 'success', stdout: 'out', result: 42 });
          if (script.ends) {
            expect(kernel.killed, `${script.kind} ends the kernel`).toBe(true);
            await expect(client.execute('2', { timeoutMs: 30_000 })).rejects.toBeInstanceOf(KernelDiedError);
          }
        } else {
          expect(settled.ok, `${script.kind} must not resolve`).toBe(false);
          if (!settled.ok) expect(settled.error, script.kind).toBeInstanceOf(KernelDiedError);
          expect(kernel.killed || script.thenExit, `${script.kind} ends the kernel`).toBe(true);
          // A dead kernel answers every later cell at once, with the same error type.
          await expect(client.execute('2', { timeoutMs: 30_000 })).rejects.toBeInstanceOf(KernelDiedError);
        }
        outcomes.add(`client: ${script.kind} → ${settled.ok ? 'answer' : 'KernelDiedError'}`);
        client.kill();
      }),
      { numRuns: runs, seed: settings.seed },
    );
  });
});
