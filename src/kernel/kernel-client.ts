/**
 * Drives one kernel: sends cells one at a time in arrival order, enforces timeouts
 * (interrupt first, kill after a grace period) and turns a dead kernel into an error.
 *
 * The kernel runs user code, which can reach the protocol socket. Every frame is bounded
 * (maxResponseBytes) and must be the answer to the request in flight, shaped as that request's
 * schema says; anything else ends the kernel, and callers get KernelDiedError.
 */
import type { z } from 'zod';
import { KernelDiedError } from './errors.js';
import { encodeFrame, FrameDecoder } from './frames.js';
import {
  DEFAULT_OUTPUT_LIMIT_BYTES,
  DEFAULT_RESULT_LIMIT_BYTES,
  describeSchemaError,
  executeResponseSchema,
  maxResponseBytes,
  pongSchema,
  shellResponseSchema,
} from './protocol.js';
import type { KernelExecuteOptions, KernelExit, KernelResponse, KernelTransport, ShellRequest, ShellResponse } from './types.js';

export { DEFAULT_OUTPUT_LIMIT_BYTES, DEFAULT_RESULT_LIMIT_BYTES, maxResponseBytes } from './protocol.js';

/** How long an interrupted cell gets to stop before the kernel is killed. */
export const DEFAULT_INTERRUPT_GRACE_MS = 2_000;

interface Pending {
  id: number;
  schema: z.ZodType;
  resolve: (message: unknown) => void;
  reject: (error: Error) => void;
}

export interface KernelClientOptions {
  interruptGraceMs?: number;
  /** Per-stream output cap of each cell unless the call passes its own (default 1 MiB). */
  outputLimitBytes?: number;
  /** The result cap the kernel was started with (its --result-limit-bytes; default 1 MiB). */
  resultLimitBytes?: number;
  /** Largest frame accepted from the kernel; default maxResponseBytes(outputLimitBytes, resultLimitBytes). */
  maxResponseBytes?: number;
}

export class KernelClient {
  readonly #transport: KernelTransport;
  readonly #graceMs: number;
  readonly #outputLimitBytes: number;
  readonly #decoder: FrameDecoder;
  #pending: Pending | undefined;
  #nextId = 1;
  #queue: Promise<unknown> = Promise.resolve();
  #dead: KernelDiedError | undefined;

  constructor(transport: KernelTransport, options: KernelClientOptions = {}) {
    this.#transport = transport;
    this.#graceMs = options.interruptGraceMs ?? DEFAULT_INTERRUPT_GRACE_MS;
    this.#outputLimitBytes = options.outputLimitBytes ?? DEFAULT_OUTPUT_LIMIT_BYTES;
    const resultLimit = options.resultLimitBytes ?? DEFAULT_RESULT_LIMIT_BYTES;
    this.#decoder = new FrameDecoder(options.maxResponseBytes ?? maxResponseBytes(this.#outputLimitBytes, resultLimit));
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
      await this.#request({ op: 'ping' }, pongSchema);
    });
  }

  /** Runs a cell after every cell sent before it. Cell errors and timeouts resolve as failures. */
  execute(code: string, options: KernelExecuteOptions = {}): Promise<KernelResponse> {
    return this.#enqueue(() => this.#execute(code, options));
  }

  /**
   * Runs a shell command (a bash script, or an argv without a shell) in the session's kept working
   * directory and environment, after every request sent before it. A timeout kills the command's
   * process group and resolves as a failure with exit code 124, as timeout(1) reports it.
   */
  shell(request: ShellRequest, options: KernelExecuteOptions = {}): Promise<ShellResponse> {
    return this.#enqueue(async () => {
      const message = { op: 'shell', command: request.command ?? null, argv: request.argv ?? null, stdin: request.stdin ?? null };
      const outcome = await this.#run(message, shellResponseSchema, options);
      if (outcome.stopped === 'timeout') return shellTimedOut(outcome.response as ShellResponse | undefined, options.timeoutMs!);
      return outcome.response as ShellResponse;
    });
  }

  /** The largest response frame this client accepts; the kernel is told to fit its answers in it. */
  get maxResponseBytes(): number {
    return this.#decoder.maxFrameBytes;
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
    const outcome = await this.#run({ op: 'execute', code }, executeResponseSchema, options);
    if (outcome.stopped !== 'timeout') return outcome.response as KernelResponse;
    const response = outcome.response as KernelResponse | undefined;
    return markTimedOut(response ?? emptyResponse(), options.timeoutMs!, response === undefined);
  }

  /**
   * Sends one request that runs user code, stopping it at its timeout or abort: interrupt first,
   * kill after the grace period. `stopped` is 'timeout' when the timeout stopped it; `response` is
   * then the kernel's answer to the interrupt, or undefined when the kernel had to be killed.
   */
  async #run(
    message: Record<string, unknown>,
    schema: z.ZodType,
    options: KernelExecuteOptions,
  ): Promise<{ response: unknown; stopped?: undefined } | { response: { error: { type: string } | null } | undefined; stopped: 'timeout' }> {
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
      const request = { ...message, outputLimit, responseLimit: this.#decoder.maxFrameBytes };
      const response = (await this.#request(request, schema)) as { error: { type: string } | null };
      if (stopReason === 'abort') throw options.signal!.reason;
      if (stopReason === 'timeout' && response.error?.type === 'KeyboardInterrupt') return { response, stopped: 'timeout' };
      return { response };
    } catch (error) {
      if (!(error instanceof KernelDiedError) || !killed) throw error;
      if (stopReason === 'abort') throw options.signal!.reason;
      return { response: undefined, stopped: 'timeout' };
    } finally {
      timers.forEach(clearTimeout);
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  #request(message: Record<string, unknown>, schema: z.ZodType): Promise<unknown> {
    if (this.#dead) return Promise.reject(this.#dead);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending = { id, schema, resolve, reject };
      this.#transport.input.write(encodeFrame({ ...message, id }));
    });
  }

  #onData(chunk: Buffer): void {
    if (this.#dead) return;
    let messages: unknown[];
    try {
      messages = this.#decoder.push(chunk);
    } catch (error) {
      this.#breach((error as Error).message);
      return;
    }
    for (const message of messages) {
      const pending = this.#pending;
      const id = (message as { id?: unknown } | null)?.id;
      if (!pending) return this.#breach('it sent a frame while no request was waiting');
      if (id !== pending.id) return this.#breach(`it answered request ${typeof id === 'number' ? id : `of ${typeof id} id`} while request ${pending.id} was waiting`);
      const parsed = pending.schema.safeParse(message);
      if (!parsed.success) return this.#breach(`its answer did not match the protocol (${describeSchemaError(parsed.error)})`);
      this.#pending = undefined;
      pending.resolve(parsed.data);
    }
  }

  /** The kernel broke the protocol, which only user code writing into its socket does: end it. */
  #breach(detail: string): void {
    this.#fail(new KernelDiedError(`the Python kernel broke its protocol (${detail.slice(0, 300)}), so it was ended; code in the cell may have written into the kernel's socket`));
    this.#transport.kill();
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

/** Exit status of a command stopped at its timeout, as timeout(1) reports it. */
export const SHELL_TIMEOUT_EXIT_CODE = 124;

function shellTimedOut(response: ShellResponse | undefined, timeoutMs: number): ShellResponse {
  const stateLost = response === undefined;
  const consequence = stateLost
    ? "The kernel did not answer the interrupt, so it was ended and the session's working directory and environment were reset."
    : "The command's process group was killed; the session's working directory and environment are kept.";
  return {
    exitCode: SHELL_TIMEOUT_EXIT_CODE,
    stdout: response?.stdout ?? '',
    stderr: response?.stderr ?? '',
    durationMs: response?.durationMs ?? 0,
    timedOut: true,
    stateLost,
    error: {
      type: 'TimeoutError',
      message: `Execution exceeded timeoutMs (${timeoutMs}); pass a larger timeout or make the command faster. ${consequence}`,
      traceback: '',
      timeoutMs,
    },
  };
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
      timeoutMs,
    },
  };
}
