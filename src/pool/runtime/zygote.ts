/**
 * The zygote process as the host sees it: start it inside its sandbox, ask it to fork
 * sessions, signal them, and hear when they end. The control channel is fd 3 (to the zygote)
 * and fd 4 (from it), in the kernel's frame format.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import type { Logger } from 'pino';
import { encodeFrame, FrameDecoder } from '../../kernel/frames.js';
import type { KernelExit } from '../../kernel/types.js';
import { PoolError } from '../types.js';
import type { ZygoteCommand } from './zygote-command.js';

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

interface ControlEvent {
  event: string;
  id?: string;
  [key: string]: unknown;
}

export class Zygote {
  readonly #child: ChildProcess;
  readonly #input: Writable;
  readonly #decoder = new FrameDecoder();
  readonly #pending = new Map<string, { resolve: (event: ControlEvent) => void; reject: (error: Error) => void }>();
  readonly #exitListeners = new Map<string, (exit: KernelExit) => void>();
  #stderr = '';
  #exit: KernelExit | undefined;
  readonly ready: Promise<void>;
  readonly exited: Promise<KernelExit>;

  constructor(command: ZygoteCommand, private readonly logger?: Logger) {
    this.#child = spawn(command.command, command.args, {
      env: command.env,
      stdio: command.controlOnStdio ? ['pipe', 'pipe', 'pipe'] : ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'],
      ...(command.uid !== undefined ? { uid: command.uid, gid: command.gid } : {}),
    });
    this.#input = (command.controlOnStdio ? this.#child.stdin : this.#child.stdio[3]) as Writable;
    this.#input.on('error', () => {});
    const output = (command.controlOnStdio ? this.#child.stdout : this.#child.stdio[4]) as Readable;
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
  async fork(request: ForkRequest, onExit: (exit: KernelExit) => void): Promise<number> {
    this.#exitListeners.set(request.id, onExit);
    try {
      const event = await this.#call(request.id, { op: 'fork', ...request });
      return event.pid as number;
    } catch (error) {
      this.#exitListeners.delete(request.id);
      throw error;
    }
  }

  signal(id: string, signal: SessionSignal): void {
    this.#send({ op: 'signal', id, signal });
  }

  async metadata(): Promise<ZygoteMetadata> {
    const event = await this.#call('@metadata', { op: 'metadata', id: '@metadata' });
    return { python: event.python as string, packages: event.packages as ZygoteMetadata['packages'] };
  }

  /** What a session printed about itself before or instead of starting (setup errors, crashes). */
  diagnostics(id: string): string {
    const marker = `[session ${id}]`;
    const at = this.#stderr.lastIndexOf(marker);
    return at < 0 ? '' : this.#stderr.slice(at, at + 4096);
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
        const listener = this.#exitListeners.get(event.id);
        this.#exitListeners.delete(event.id);
        listener?.({ code: (event.code as number | null) ?? null, signal: (event.signal as string | null) ?? null });
      } else if (event.event === 'error' && event.id) {
        this.#settle(event.id, undefined, new PoolError('internal', `The pool's zygote could not do that: ${String(event.message)}`));
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

  #onStderr(text: string): void {
    this.#stderr = (this.#stderr + text).slice(-STDERR_TAIL_CHARS);
    for (const line of text.split('\n')) if (line.trim()) this.logger?.debug({ zygote: line.slice(0, 500) }, 'pool zygote stderr');
  }

  #deadError(): PoolError {
    const tail = this.#stderr.trim().split('\n').slice(-5).join(' | ');
    return new PoolError('internal', `The pool's zygote process is not running${tail ? `: ${tail}` : ''}. Check that bwrap/runsc and ${'the Python interpreter'} work (tidepool doctor).`);
  }

  #onExit(exit: KernelExit): void {
    this.#exit = exit;
    const error = this.#deadError();
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
    // Every session lived inside the zygote's sandbox, so they are all gone too.
    for (const listener of this.#exitListeners.values()) listener({ code: null, signal: 'SIGKILL' });
    this.#exitListeners.clear();
  }

  /** The tail of the zygote's own stderr, for error messages. */
  stderrTail(): string {
    return this.#stderr.slice(-2000);
  }
}
