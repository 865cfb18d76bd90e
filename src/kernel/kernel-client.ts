/**
 * Drives one kernel: sends cells one at a time in arrival order, enforces timeouts
 * (interrupt first, kill after a grace period) and turns a dead kernel into an error.
 */
import { z } from 'zod';
import { KernelDiedError } from './errors.js';
import { encodeFrame, FrameDecoder } from './frames.js';
import type { KernelExecuteOptions, KernelExit, KernelResponse, KernelTransport } from './types.js';

/** How long an interrupted cell gets to stop before the kernel is killed. */
export const DEFAULT_INTERRUPT_GRACE_MS = 2_000;
export const DEFAULT_OUTPUT_LIMIT_BYTES = 1024 * 1024;

const imageSchema = z.object({
  type: z.literal('image'),
  format: z.enum(['png', 'jpeg', 'svg']),
  base64_data: z.string(),
});

// The kernel runs user code, which can write to the protocol pipe: never trust a frame's shape.
const responseSchema = z.object({
  id: z.number(),
  status: z.enum(['success', 'failure']),
  stdout: z.string(),
  stderr: z.string(),
  hasResult: z.boolean(),
  result: z.union([z.string(), z.number(), z.boolean(), z.null(), imageSchema]),
  repr: z.string().nullable(),
  images: z.array(imageSchema),
  error: z.object({ type: z.string(), message: z.string(), traceback: z.string() }).nullable(),
  durationMs: z.number(),
});

const pongSchema = z.object({ id: z.number(), pong: z.literal(true) });

interface Pending {
  id: number;
  resolve: (message: unknown) => void;
  reject: (error: Error) => void;
}

export interface KernelClientOptions {
  interruptGraceMs?: number;
  outputLimitBytes?: number;
}

export class KernelClient {
  readonly #transport: KernelTransport;
  readonly #graceMs: number;
  readonly #outputLimitBytes: number;
  readonly #decoder = new FrameDecoder();
  #pending: Pending | undefined;
  #nextId = 1;
  #queue: Promise<unknown> = Promise.resolve();
  #dead: KernelDiedError | undefined;

  constructor(transport: KernelTransport, options: KernelClientOptions = {}) {
    this.#transport = transport;
    this.#graceMs = options.interruptGraceMs ?? DEFAULT_INTERRUPT_GRACE_MS;
    this.#outputLimitBytes = options.outputLimitBytes ?? DEFAULT_OUTPUT_LIMIT_BYTES;
    transport.output.on('data', (chunk: Buffer) => this.#onData(chunk));
    transport.output.on('error', () => {});
    transport.input.on('error', () => {});
    void transport.exited.then((exit) => this.#onExit(exit));
  }

  get alive(): boolean {
    return this.#dead === undefined;
  }

  /** Resolves once the kernel answers, i.e. it has started and is idle. */
  ping(): Promise<void> {
    return this.#enqueue(async () => {
      pongSchema.parse(await this.#request({ op: 'ping' }));
    });
  }

  /** Runs a cell after every cell sent before it. Cell errors and timeouts resolve as failures. */
  execute(code: string, options: KernelExecuteOptions = {}): Promise<KernelResponse> {
    return this.#enqueue(() => this.#execute(code, options));
  }

  /** Ends the kernel; pending and queued cells fail with KernelDiedError. */
  kill(): void {
    this.#transport.kill();
  }

  #enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task, task);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #execute(code: string, options: KernelExecuteOptions): Promise<KernelResponse> {
    options.signal?.throwIfAborted();
    const outputLimit = options.outputLimitBytes ?? this.#outputLimitBytes;
    let stopReason: 'timeout' | 'abort' | undefined;
    let killed = false;
    const timers: NodeJS.Timeout[] = [];
    const stop = (reason: 'timeout' | 'abort') => {
      if (stopReason) return;
      stopReason = reason;
      this.#transport.interrupt();
      timers.push(
        setTimeout(() => {
          killed = true;
          this.#transport.kill();
        }, this.#graceMs),
      );
    };
    if (options.timeoutMs !== undefined) timers.push(setTimeout(() => stop('timeout'), options.timeoutMs));
    const onAbort = () => stop('abort');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const message = await this.#request({ op: 'execute', code, outputLimit });
      const response = responseSchema.parse(message) as KernelResponse;
      if (stopReason === 'abort') throw options.signal!.reason;
      if (stopReason === 'timeout' && response.error?.type === 'KeyboardInterrupt') {
        return markTimedOut(response, options.timeoutMs!, false);
      }
      return response;
    } catch (error) {
      if (!(error instanceof KernelDiedError) || !killed) throw error;
      if (stopReason === 'abort') throw options.signal!.reason;
      return markTimedOut(emptyResponse(), options.timeoutMs!, true);
    } finally {
      timers.forEach(clearTimeout);
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  #request(message: Record<string, unknown>): Promise<unknown> {
    if (this.#dead) return Promise.reject(this.#dead);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending = { id, resolve, reject };
      this.#transport.input.write(encodeFrame({ ...message, id }));
    });
  }

  #onData(chunk: Buffer): void {
    let messages: unknown[];
    try {
      messages = this.#decoder.push(chunk);
    } catch (error) {
      this.#fail(new KernelDiedError(`the kernel broke its protocol (${(error as Error).message}) and was ended`));
      this.#transport.kill();
      return;
    }
    for (const message of messages) {
      const pending = this.#pending;
      const id = (message as { id?: unknown } | null)?.id;
      if (!pending || id !== pending.id) continue; // a stray frame from user code; ignore it
      this.#pending = undefined;
      pending.resolve(message);
    }
  }

  #onExit(exit: KernelExit): void {
    const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
    const diagnostics = this.#transport.diagnostics().trim();
    const detail = diagnostics ? `: ${diagnostics.split('\n').slice(-3).join(' | ')}` : '';
    this.#fail(new KernelDiedError(`the Python kernel ${how}${detail}`, exit));
  }

  #fail(error: KernelDiedError): void {
    this.#dead ??= error;
    const pending = this.#pending;
    this.#pending = undefined;
    pending?.reject(this.#dead);
  }
}

function emptyResponse(): KernelResponse {
  return { status: 'failure', stdout: '', stderr: '', hasResult: false, result: null, repr: null, images: [], error: null, durationMs: 0 };
}

function markTimedOut(response: KernelResponse, timeoutMs: number, stateLost: boolean): KernelResponse {
  const consequence = stateLost
    ? "The cell ignored the interrupt, so the kernel was ended and the session's state (variables, imports) was lost; the next execution starts fresh."
    : "The cell was interrupted; the session's variables are kept.";
  return {
    ...response,
    status: 'failure',
    hasResult: false,
    result: null,
    repr: null,
    timedOut: true,
    stateLost,
    error: {
      type: 'TimeoutError',
      message: `Execution exceeded timeoutMs (${timeoutMs}); pass a larger timeoutMs or make the code faster. ${consequence}`,
      traceback: response.error?.traceback ?? '',
    },
  };
}
