/**
 * One forked session as the host drives it: a KernelClient on the kernel stream, a FileChannel
 * on the file stream of the session's PID 1, and signals routed through the zygote (which knows
 * the pids).
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
/** After asking PID 1 to kill its kernel, how long before PID 1 itself (and so the namespace) is killed. */
const KILL_ESCALATION_MS = 2_000;

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
  readonly etag = randomBytes(8).toString('hex');
  /** Settles when the session's PID 1 (and with it the kernel) is gone. */
  readonly exited: Promise<KernelExit>;
  /** Host-side data directory (isolation "none" only; otherwise /mnt/data lives in the session). */
  readonly dataDir: string;
  kernel!: KernelClient;
  files!: FileChannel;
  /** The zygote-namespace pid of the session's PID 1 (init and file server; under isolation "none", its first process). */
  initPid: number | undefined;
  #exit: KernelExit | undefined;
  #resolveExit!: (exit: KernelExit) => void;
  /** Set once the kernel is known to be going away (a kill was sent), before the exit arrives. */
  #doomed = false;
  #hosted: Promise<HostedSession | undefined> | undefined;
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

  get alive(): boolean {
    return this.#exit === undefined && !this.#doomed && this.kernel.alive;
  }

  get exit(): KernelExit | undefined {
    return this.#exit;
  }

  /** Ends the kernel and PID 1 (and so the session's namespaces and tmpfs). */
  kill(): void {
    if (this.#exit) return;
    this.#doomed = true;
    this.options.zygote.signal(this.id, 'TERM');
    const timer = setTimeout(() => {
      if (!this.#exit) this.options.zygote.signal(this.id, 'KILL');
    }, KILL_ESCALATION_MS);
    timer.unref();
  }

  /** Marks the kernel as going away (e.g. the client killed it after a timeout). */
  markDoomed(): void {
    this.#doomed = true;
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
        { onExit: (exit) => this.#onExit(exit), onUnshared: (pid) => this.#onUnshared(pid) },
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
      this.kernel = new KernelClient(this.#transport(sockets.kernel), {
        outputLimitBytes: this.options.outputLimitBytes,
        ...(this.options.interruptGraceMs !== undefined ? { interruptGraceMs: this.options.interruptGraceMs } : {}),
      });
      this.files = new FileChannel(sockets.files, () => this.#lostError(), {
        // A file server that breaks the protocol or stops answering is ended with its session.
        onBroken: () => this.kill(),
        maxFileBytes: this.options.maxFileBytes,
      });
      sockets.kernel.resume();
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

  #onUnshared(pid: number): void {
    const { zygote, host } = this.options;
    if (!host) {
      zygote.signal(this.id, 'KILL');
      return;
    }
    this.#hosted = hostSession(pid, this.id, host).then(
      (hosted) => {
        zygote.proceed(this.id);
        return hosted;
      },
      (error: unknown) => {
        zygote.logSessionFailure(this.id, `the server could not set the session up: ${(error as Error).message}`);
        zygote.signal(this.id, 'KILL');
        return undefined;
      },
    );
  }

  #onExit(exit: KernelExit): void {
    // The uid, cgroup and network go back only once every process of the session has ended.
    void (this.#hosted ?? Promise.resolve(undefined))
      .then((hosted) => hosted?.release())
      .finally(() => {
        if (this.#uid !== undefined) this.options.host?.uids.release(this.#uid);
        this.#resolveExit(exit);
      });
  }

  #transport(socket: Socket): KernelTransport {
    const { zygote } = this.options;
    return {
      input: socket,
      output: socket,
      interrupt: () => zygote.signal(this.id, 'INT'),
      kill: () => this.kill(),
      exited: this.exited,
      // What a session's kernel says about itself is user-controlled text: never echoed to clients.
      diagnostics: () => '',
    };
  }

  #lostError(): PoolError {
    const how = this.#exit ? describeExit(this.#exit) : 'stopped';
    return new PoolError('session_lost', `The session ended while handling a file request (its kernel ${how}); retry: the next call starts a fresh session.`);
  }
}
