/** KernelClient against a fake kernel that speaks (or breaks) the protocol on purpose. */
import { PassThrough } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { KernelDiedError } from '../../src/kernel/errors.js';
import { encodeFrame, FrameDecoder, lengthPrefix } from '../../src/kernel/frames.js';
import { KernelClient, maxResponseBytes } from '../../src/kernel/kernel-client.js';
import type { KernelExit, KernelTransport } from '../../src/kernel/types.js';

class FakeKernel implements KernelTransport {
  readonly input = new PassThrough();
  readonly output = new PassThrough();
  readonly requests: Record<string, unknown>[] = [];
  kills = 0;
  interrupts = 0;
  readonly exited: Promise<KernelExit>;
  #exit!: (exit: KernelExit) => void;
  #waiters: (() => void)[] = [];

  constructor() {
    this.exited = new Promise((resolve) => {
      this.#exit = resolve;
    });
    const decoder = new FrameDecoder();
    this.input.on('data', (chunk: Buffer) => {
      for (const request of decoder.push(chunk)) this.requests.push(request as Record<string, unknown>);
      this.#waiters.splice(0).forEach((wake) => wake());
    });
  }

  interrupt(): void {
    this.interrupts++;
  }

  kill(): void {
    this.kills++;
    this.#exit({ code: null, signal: 'SIGKILL' });
  }

  diagnostics(): string {
    return '';
  }

  /** The next request the client sends. */
  async request(): Promise<Record<string, unknown>> {
    const seen = this.requests.length;
    while (this.requests.length <= seen) await new Promise<void>((resolve) => this.#waiters.push(resolve));
    return this.requests[seen]!;
  }

  send(bytes: Buffer): void {
    this.output.write(bytes);
  }
}

function answer(id: unknown, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { id, status: 'success', stdout: '', stderr: '', hasResult: true, result: 2, repr: '2', images: [], error: null, durationMs: 1, ...overrides };
}

async function started(): Promise<{ kernel: FakeKernel; client: KernelClient }> {
  const kernel = new FakeKernel();
  const client = new KernelClient(kernel, { outputLimitBytes: 1024 * 1024 });
  const ping = client.ping();
  const request = await kernel.request();
  kernel.send(encodeFrame({ id: request.id, pong: true, pid: 1 }));
  await ping;
  return { kernel, client };
}

describe('KernelClient timeouts', () => {
  it('interrupts a cell at its timeout and reports a TimeoutError carrying the limit', async () => {
    const kernel = new FakeKernel();
    const client = new KernelClient(kernel, { interruptGraceMs: 600_000 });
    const execution = client.execute('while True: pass', { timeoutMs: 20 });
    const request = await kernel.request();
    await vi.waitFor(() => expect(kernel.interrupts).toBe(1), { timeout: 30_000, interval: 5 });
    const interrupted = { type: 'KeyboardInterrupt', message: 'execution interrupted', traceback: '' };
    kernel.send(encodeFrame(answer(request.id, { status: 'failure', hasResult: false, result: null, repr: null, error: interrupted })));
    const response = await execution;
    expect(response).toMatchObject({ status: 'failure', timedOut: true, stateLost: false });
    expect(response.error).toMatchObject({ type: 'TimeoutError', timeoutMs: 20 });
    expect(response.error?.message).toMatch(/^Execution exceeded timeoutMs \(20\); pass a larger timeoutMs/);
    client.kill();
  });

  it('interrupts a cell with a shorter timeout than the cell before it, which ended in time', async () => {
    const { kernel, client } = await started();
    const first = client.execute('1', { timeoutMs: 600_000 });
    kernel.send(encodeFrame(answer((await kernel.request()).id)));
    await first;
    const second = client.execute('while True: pass', { timeoutMs: 20 });
    const request = await kernel.request();
    await vi.waitFor(() => expect(kernel.interrupts).toBe(1), { timeout: 30_000, interval: 5 });
    const interrupted = { type: 'KeyboardInterrupt', message: 'execution interrupted', traceback: '' };
    kernel.send(encodeFrame(answer(request.id, { status: 'failure', hasResult: false, result: null, repr: null, error: interrupted })));
    expect(await second).toMatchObject({ timedOut: true, stateLost: false });
    client.kill();
  });
});

describe('KernelClient against a hostile kernel', () => {
  it('answers a well-formed response and tells the kernel the frame cap', async () => {
    const { kernel, client } = await started();
    const execution = client.execute('1 + 1');
    const request = await kernel.request();
    expect(request).toMatchObject({ op: 'execute', code: '1 + 1', outputLimit: 1024 * 1024, responseLimit: client.maxResponseBytes });
    kernel.send(encodeFrame(answer(request.id)));
    expect((await execution).result).toBe(2);
    expect(kernel.kills).toBe(0);
  });

  it('passes on only the fields of the protocol, not what the driver itself sets', async () => {
    const { kernel, client } = await started();
    const execution = client.execute('1 + 1');
    const request = await kernel.request();
    kernel.send(encodeFrame(answer(request.id, { timedOut: true, stateLost: true, error: null })));
    const response = await execution;
    expect(response.timedOut).toBeUndefined();
    expect(response.stateLost).toBeUndefined();
    expect(kernel.kills).toBe(0);
  });

  it('derives its frame cap from the output and result caps: a few MB plus the output', () => {
    expect(maxResponseBytes(1024 * 1024)).toBe(21 * 1024 * 1024);
    expect(maxResponseBytes(10 * 1024 * 1024) - maxResponseBytes(1024 * 1024)).toBe(4 * 9 * 1024 * 1024);
    expect(new KernelClient(new FakeKernel(), { outputLimitBytes: 2048, resultLimitBytes: 4096 }).maxResponseBytes).toBe(maxResponseBytes(2048, 4096));
  });

  it('ends the kernel when a frame header announces more than the cap, without waiting for the body', async () => {
    const { kernel, client } = await started();
    const execution = client.execute('x');
    await kernel.request();
    kernel.send(lengthPrefix(600 * 1024 * 1024));
    await expect(execution).rejects.toThrow(KernelDiedError);
    await expect(execution).rejects.toThrow(/broke its protocol .*629145600 bytes/);
    expect(kernel.kills).toBe(1);
    expect(client.alive).toBe(false);
    await expect(client.execute('1')).rejects.toBeInstanceOf(KernelDiedError);
  });

  it('ends the kernel on a frame that is not JSON', async () => {
    const { kernel, client } = await started();
    const execution = client.execute('x');
    await kernel.request();
    kernel.send(Buffer.concat([lengthPrefix(9), Buffer.from('{garbage!')]));
    await expect(execution).rejects.toThrow(/broke its protocol .*not valid JSON/);
    expect(kernel.kills).toBe(1);
  });

  it('ends the kernel on a response that fails the schema, instead of surfacing a ZodError', async () => {
    const { kernel, client } = await started();
    const execution = client.execute('x');
    const request = await kernel.request();
    kernel.send(encodeFrame(answer(request.id, { stdout: 42, images: 'nope' })));
    const error = await execution.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KernelDiedError);
    expect((error as Error).message).toMatch(/did not match the protocol \(stdout: /);
    expect(kernel.kills).toBe(1);
  });

  it('ends the kernel on a frame that answers another request, or none', async () => {
    const first = await started();
    const execution = first.client.execute('x');
    const request = await first.kernel.request();
    first.kernel.send(encodeFrame(answer((request.id as number) + 7)));
    await expect(execution).rejects.toThrow(/answered request \d+ while request \d+ was waiting/);
    expect(first.kernel.kills).toBe(1);

    const second = await started();
    second.kernel.send(encodeFrame({ hello: 'between cells' }));
    await expect.poll(() => second.kernel.kills).toBe(1);
    await expect(second.client.execute('1')).rejects.toThrow(/no request was waiting/);
  });
});
