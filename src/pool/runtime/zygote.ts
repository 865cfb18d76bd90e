/**
 * The zygote process as the host sees it: start it inside its sandbox, ask it to fork
 * sessions, let them go on once the host has set them up, signal them, and hear when they end.
 * The control channel is fd 3 (to the zygote) and fd 4 (from it), in the kernel's frame format;
 * fd 5 is the pool directory, and the files bubblewrap copies into the sandbox follow.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import type { Logger } from 'pino';
import { encodeFrame, FrameDecoder } from '../../kernel/frames.js';
import type { KernelExit } from '../../kernel/types.js';
import { PoolError } from '../types.js';
import type { ZygoteCommand } from './zygote-command.js';

/** Failure reports kept for diagnostics (each at most a few KB). */
const DIAGNOSTICS_KEPT = 64;
const CONTROL_FRAME_MAX_BYTES = 4 * 1024 * 1024;

const STDERR_TAIL_CHARS = 64 * 1024;

export type SessionSignal = 'INT' | 'TERM' | 'KILL';

export interface ForkRequest {
  id: string;
  token: string;
  [key: string]: unknown;
}

export interface ZygoteMetadata {
  python: string;
  packages: { name: string; version: string }[];
}

export interface ForkHandlers {
  onExit: (exit: KernelExit) => void;
  /**
   * A process of the session waits for the host (pid is its host pid), which then calls
   * proceed(): the new session's setup process once its namespaces exist (`join` false), or a
   * process joining the running session, a restarted kernel's or a file server's (`join` true),
   * which only needs to be put in the session's cgroup.
   */
  onUnshared?: (pid: number, join: boolean) => void;
  /** The session's kernel ended while the session (its PID 1, namespaces and files) lives on. */
  onKernelExit?: (exit: KernelExit) => void;
}

interface ControlEvent {
  event: string;
  id?: string;
  [key: string]: unknown;
}

export class Zygote {
  readonly #child: ChildProcess;
  readonly #input: Writable;
  // Metadata (every installed package) is the largest event the zygote sends.
  readonly #decoder = new FrameDecoder(CONTROL_FRAME_MAX_BYTES);
  readonly #pending = new Map<string, { resolve: (event: ControlEvent) => void; reject: (error: Error) => void }>();
  readonly #handlers = new Map<string, ForkHandlers>();
  readonly #diagnostics = new Map<string, string>();
  /** Numbers the zygote calls that are not about one forked session, so concurrent ones never share an id. */
  #calls = 0;
  #metadata: Promise<ZygoteMetadata> | undefined;
  #stderr = '';
  #exit: KernelExit | undefined;
  readonly ready: Promise<void>;
  readonly exited: Promise<KernelExit>;

  constructor(command: ZygoteCommand, poolDirFd: number, private readonly logger?: Logger) {
    this.#child = spawn(command.command, command.args, {
      env: command.env,
      stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe', poolDirFd, ...command.files.map(() => 'pipe' as const)],
    });
    command.files.forEach((content, index) => {
      const stream = this.#child.stdio[6 + index] as Writable;
      stream.on('error', () => {});
      stream.end(content);
    });
    this.#input = this.#child.stdio[3] as Writable;
    this.#input.on('error', () => {});
    const output = this.#child.stdio[4] as Readable;
    this.#child.stderr!.on('data', (chunk: Buffer) => this.#onStderr(chunk.toString('utf8')));
    this.exited = new Promise((resolve) => {
      this.#child.once('error', (error) => {
        this.#stderr += `\n${error.message}`;
        resolve({ code: null, signal: null });
      });
      this.#child.once('exit', (code, signal) => resolve({ code, signal }));
    });
    this.ready = new Promise<void>((resolve, reject) => {
      this.#pending.set('@ready', { resolve: () => resolve(), reject });
    });
    this.ready.catch(() => {});
    output.on('data', (chunk: Buffer) => this.#onData(chunk));
    void this.exited.then((exit) => this.#onExit(exit));
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  get alive(): boolean {
    return this.#exit === undefined;
  }

  /** Forks a session; its sockets have been connected (hello sent) by the time this resolves. */
  async fork(request: ForkRequest, handlers: ForkHandlers): Promise<number> {
    this.#handlers.set(request.id, handlers);
    try {
      const event = await this.#call(request.id, { op: 'fork', ...request });
      return event.pid as number;
    } catch (error) {
      this.#handlers.delete(request.id);
      throw error;
    }
  }

  /** Starts a fresh kernel in the session, which connects to the host with `token`. */
  async respawn(id: string, token: string): Promise<void> {
    const callId = `${id}@respawn${this.#calls++}`;
    await this.#call(callId, { op: 'respawn', id: callId, session: id, token });
  }

  /** Lets the process (host `pid`) of a session that reported "unshared" go on. */
  proceed(id: string, pid: number): void {
    this.#send({ op: 'proceed', id, pid });
  }

  signal(id: string, signal: SessionSignal): void {
    this.#send({ op: 'signal', id, signal });
  }

  /** The interpreter's version and packages: asked once, since they cannot change while the zygote lives. */
  metadata(): Promise<ZygoteMetadata> {
    if (!this.#metadata) {
      const id = `@metadata${this.#calls++}`;
      const asked = this.#call(id, { op: 'metadata', id }).then((event) => ({ python: event.python as string, packages: event.packages as ZygoteMetadata['packages'] }));
      this.#metadata = asked;
      // A failed ask is not remembered: the next caller asks again.
      asked.catch(() => {
        if (this.#metadata === asked) this.#metadata = undefined;
      });
    }
    return this.#metadata;
  }

  /** Why a session could not start, as it reported it (for the server's log, never for clients). */
  diagnostics(id: string): string {
    return this.#diagnostics.get(id) ?? '';
  }

  /** Ends the zygote and, with it, every session (closing the channel makes it kill them all). */
  async close(graceMs = 2_000): Promise<void> {
    if (this.#exit) return;
    this.#input.end();
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  #call(id: string, message: Record<string, unknown>): Promise<ControlEvent> {
    if (this.#exit) return Promise.reject(this.#deadError());
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#send(message);
    });
  }

  #send(message: Record<string, unknown>): void {
    if (!this.#exit) this.#input.write(encodeFrame(message));
  }

  #onData(chunk: Buffer): void {
    let events: unknown[];
    try {
      events = this.#decoder.push(chunk);
    } catch (error) {
      this.logger?.error({ err: error }, 'pool zygote broke its control protocol; restarting it');
      this.#child.kill('SIGKILL');
      return;
    }
    for (const raw of events) {
      const event = raw as ControlEvent;
      if (event.event === 'ready') this.#settle('@ready', event);
      else if (event.event === 'exited' && event.id) {
        const handlers = this.#handlers.get(event.id);
        this.#handlers.delete(event.id);
        handlers?.onExit({ code: (event.code as number | null) ?? null, signal: (event.signal as string | null) ?? null });
      } else if (event.event === 'kernelExited' && event.id) {
        this.#handlers.get(event.id)?.onKernelExit?.({ code: (event.code as number | null) ?? null, signal: (event.signal as string | null) ?? null });
      } else if (event.event === 'unshared' && event.id) {
        this.#handlers.get(event.id)?.onUnshared?.(event.pid as number, event.join === true);
      } else if (event.event === 'failed' && event.id) {
        this.#remember(event.id, String(event.message));
      } else if (event.event === 'error') {
        this.logger?.warn({ id: event.id, message: event.message }, 'pool zygote refused a request');
        if (event.id) this.#settle(event.id, undefined, new PoolError('internal', `The pool's zygote could not do that: ${String(event.message)}`));
      } else if (event.id) this.#settle(event.id, event);
    }
  }

  #settle(id: string, event?: ControlEvent, error?: Error): void {
    const pending = this.#pending.get(id);
    if (!pending) return;
    this.#pending.delete(id);
    if (error) pending.reject(error);
    else pending.resolve(event!);
  }

  /** Records why a session could not start, as the zygote's own reports are. */
  logSessionFailure(id: string, message: string): void {
    this.#remember(id, message);
  }

  #remember(id: string, message: string): void {
    this.#diagnostics.set(id, message.slice(0, 4096));
    this.logger?.warn({ session: id, diagnostics: message.slice(0, 4096) }, 'pool session could not start');
    while (this.#diagnostics.size > DIAGNOSTICS_KEPT) this.#diagnostics.delete(this.#diagnostics.keys().next().value!);
  }

  #onStderr(text: string): void {
    this.#stderr = (this.#stderr + text).slice(-STDERR_TAIL_CHARS);
    for (const line of text.split('\n')) if (line.trim()) this.logger?.debug({ zygote: line.slice(0, 500) }, 'pool zygote stderr');
  }

  #deadError(): PoolError {
    const tail = this.#stderr.trim().split('\n').slice(-5).join(' | ');
    return new PoolError('internal', `The pool's zygote process is not running${tail ? `: ${tail}` : ''}. Check that bwrap and the Python interpreter work (tidepool doctor).`);
  }

  #onExit(exit: KernelExit): void {
    this.#exit = exit;
    const error = this.#deadError();
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
    // Every session lived inside the zygote's sandbox, so they are all gone too.
    for (const handlers of this.#handlers.values()) handlers.onExit({ code: null, signal: 'SIGKILL' });
    this.#handlers.clear();
  }

  /** The tail of the zygote's own stderr, for error messages. */
  stderrTail(): string {
    return this.#stderr.slice(-2000);
  }
}
