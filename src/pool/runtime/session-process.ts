/**
 * One forked session as the host drives it: a KernelClient on the kernel stream, a FileChannel
 * on the file stream (the zygote starts a file server on it when a request waits), and signals
 * routed through the zygote (which knows the pids).
 */
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { KernelClient } from '../../kernel/kernel-client.js';
import type { KernelExit, KernelTransport } from '../../kernel/types.js';
import { PoolError } from '../types.js';
import { FileChannel } from './file-channel.js';
import { describeExit } from './messages.js';
import { hostSession, type HostedSession, type SessionHostOptions } from './session-host.js';
import type { SocketHub } from './socket-hub.js';
import type { ForkRequest, Zygote } from './zygote.js';

const START_TIMEOUT_MS = 30_000;

export interface SessionProcessOptions {
  zygote: Zygote;
  hub: SocketHub;
  /** Everything the zygote needs besides id and token (limits, mounts, environment). */
  request: Omit<ForkRequest, 'id' | 'token'>;
  dataDir: string;
  outputLimitBytes: number;
  /** The largest file a download may carry (the session's disk size). */
  maxFileBytes: number;
  interruptGraceMs?: number;
  /** Root only: the host uid, cgroup and network the server gives the session before it goes on. */
  host?: SessionHostOptions;
}

let nextSessionNumber = 1;

export class SessionProcess {
  readonly id: string;
  /** Identifies the current kernel: a restarted kernel gets a new one. */
  etag = randomBytes(8).toString('hex');
  /** Settles when the session (its PID 1, its kernel and every other process of it) is gone. */
  readonly exited: Promise<KernelExit>;
  /** Host-side data directory (isolation "none" only; otherwise /mnt/data lives in the session). */
  readonly dataDir: string;
  kernel!: KernelClient;
  /** Set once the session's sockets are connected; kill() may come before that. */
  #files: FileChannel | undefined;
  /** The zygote-namespace pid of the session's PID 1 (under isolation "none", of its first kernel). */
  initPid: number | undefined;
  #exit: KernelExit | undefined;
  #resolveExit!: (exit: KernelExit) => void;
  /** Set once the kernel is known to be going away (a kill was sent), before the exit arrives. */
  #doomed = false;
  #hosted: Promise<HostedSession | undefined> | undefined;
  /** Settles when the current kernel ends (a new one gets a new promise). */
  #kernelExited: Promise<KernelExit> = new Promise(() => undefined);
  #resolveKernelExit: (exit: KernelExit) => void = () => undefined;
  #lastKernelExit: KernelExit | undefined;
  #uid: number | undefined;

  private constructor(private readonly options: SessionProcessOptions) {
    this.id = `s${nextSessionNumber++}-${randomBytes(3).toString('hex')}`;
    this.dataDir = options.dataDir;
    this.exited = new Promise((resolve) => {
      this.#resolveExit = resolve;
    });
    void this.exited.then((exit) => {
      this.#exit = exit;
    });
  }

  static async start(options: SessionProcessOptions): Promise<SessionProcess> {
    const session = new SessionProcess(options);
    await session.#start();
    return session;
  }

  /** The session (its PID 1, its namespaces and files) lives and is not being ended. */
  get alive(): boolean {
    return this.#exit === undefined && !this.#doomed;
  }

  /** Its current kernel answers (when false while `alive`, restartKernel() brings a fresh one). */
  get kernelAlive(): boolean {
    return this.alive && this.kernel.alive;
  }

  /** How the last kernel ended, once one has. */
  get lastKernelExit(): KernelExit | undefined {
    return this.#lastKernelExit;
  }

  get exit(): KernelExit | undefined {
    return this.#exit;
  }

  /** The session's file server; only a started session (what SessionProcess.start returns) is used for files. */
  get files(): FileChannel {
    if (!this.#files) throw new PoolError('internal', `Session ${this.id} was used for files before its file server connected.`);
    return this.#files;
  }

  /** Ends the session: PID 1 and with it the kernel, the session's namespaces and tmpfs, and any file server. */
  kill(): void {
    if (this.#exit) return;
    this.#doomed = true;
    this.#files?.close();
    this.options.zygote.signal(this.id, 'KILL');
  }

  /**
   * Starts a fresh kernel in the same session: the zygote ends the old kernel and forks a new one
   * into the session's namespaces, which ends everything the old one left running, keeps
   * /mnt/data, and connects with a new token.
   */
  async restartKernel(): Promise<void> {
    const { zygote, hub } = this.options;
    const token = randomBytes(24).toString('hex');
    const expected = hub.expectKernel(token);
    let timer: NodeJS.Timeout | undefined;
    try {
      const died = this.exited.then(() => {
        throw this.#lostError();
      });
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new PoolError('internal', `A session's kernel did not restart within ${START_TIMEOUT_MS} ms; the machine may be overloaded.`)), START_TIMEOUT_MS);
      });
      await Promise.race([zygote.respawn(this.id, token), died, timeout]);
      const socket = await Promise.race([expected.socket, died, timeout]);
      this.#connectKernel(socket);
      this.etag = randomBytes(8).toString('hex');
      await Promise.race([this.kernel.ping(), died, timeout]);
    } catch (error) {
      expected.cancel();
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  async #start(): Promise<void> {
    const { zygote, hub } = this.options;
    const token = randomBytes(24).toString('hex');
    const expected = hub.expect(token);
    let timer: NodeJS.Timeout | undefined;
    try {
      // As root every session runs as a host uid of its own, taken before the fork and given back
      // once all of its processes are gone.
      this.#uid = this.options.host?.uids.take();
      const forked = zygote.fork(
        { ...this.options.request, id: this.id, token, uid: this.#uid ?? null },
        {
          onExit: (exit) => this.#onExit(exit),
          onUnshared: (pid, join) => this.#onUnshared(pid, join),
          onKernelExit: (exit) => {
            this.#lastKernelExit = exit;
            this.#resolveKernelExit(exit);
          },
        },
      );
      this.initPid = await forked;
      const died = this.exited.then((exit) => {
        // The details (a traceback, host paths) go to the server's log through the zygote, not to clients.
        throw new PoolError('internal', `A new session could not start: its process ${describeExit(exit)}. The pool's log says why.`);
      });
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new PoolError('internal', `A new session did not start within ${START_TIMEOUT_MS} ms; the machine may be overloaded.`)), START_TIMEOUT_MS);
      });
      const sockets = await Promise.race([expected.sockets, died, timeout]);
      this.#connectKernel(sockets.kernel);
      this.#files = new FileChannel(sockets.files, () => this.#lostError(), {
        // A file server that breaks the protocol or stops answering is ended with its session.
        onBroken: () => this.kill(),
        maxFileBytes: this.options.maxFileBytes,
      });
      sockets.files.resume();
      await Promise.race([this.kernel.ping(), died, timeout]);
    } catch (error) {
      expected.cancel();
      this.kill();
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  #onUnshared(pid: number, join: boolean): void {
    const { zygote, host } = this.options;
    if (!host) {
      zygote.signal(this.id, 'KILL');
      return;
    }
    if (join) {
      void (this.#hosted ?? Promise.resolve(undefined))
        .then(async (hosted) => {
          if (!hosted) throw new Error('the session was never set up');
          await hosted.join(pid);
          zygote.proceed(this.id, pid);
        })
        .catch((error: unknown) => {
          zygote.logSessionFailure(this.id, `the server could not add a process to the session: ${(error as Error).message}`);
          zygote.signal(this.id, 'KILL');
        });
      return;
    }
    this.#hosted = hostSession(pid, this.id, host).then(
      (hosted) => {
        zygote.proceed(this.id, pid);
        return hosted;
      },
      (error: unknown) => {
        zygote.logSessionFailure(this.id, `the server could not set the session up: ${(error as Error).message}`);
        zygote.signal(this.id, 'KILL');
        return undefined;
      },
    );
  }

  #connectKernel(socket: Socket): void {
    this.#kernelExited = new Promise((resolve) => {
      this.#resolveKernelExit = resolve;
    });
    this.kernel = new KernelClient(this.#transport(socket, this.#kernelExited), {
      outputLimitBytes: this.options.outputLimitBytes,
      ...(this.options.interruptGraceMs !== undefined ? { interruptGraceMs: this.options.interruptGraceMs } : {}),
    });
    socket.resume();
  }

  #onExit(exit: KernelExit): void {
    // The zygote reports the session's end once every process of it is gone, kernel included.
    this.#resolveKernelExit(exit);
    // The uid, cgroup and network go back only once every process of the session has ended.
    void (this.#hosted ?? Promise.resolve(undefined))
      .then((hosted) => hosted?.release())
      .finally(() => {
        if (this.#uid !== undefined) this.options.host?.uids.release(this.#uid);
        this.#resolveExit(exit);
      });
  }

  #transport(socket: Socket, exited: Promise<KernelExit>): KernelTransport {
    const { zygote } = this.options;
    return {
      input: socket,
      output: socket,
      // The zygote sends SIGINT to the kernel, and answers TERM by ending the kernel alone.
      interrupt: () => zygote.signal(this.id, 'INT'),
      kill: () => zygote.signal(this.id, 'TERM'),
      exited,
      // What a session's kernel says about itself is user-controlled text: never echoed to clients.
      diagnostics: () => '',
    };
  }

  #lostError(): PoolError {
    const how = this.#exit ? describeExit(this.#exit) : 'stopped';
    return new PoolError('session_lost', `The session ended while handling a file request (its kernel ${how}); retry: the next call starts a fresh session.`);
  }
}
