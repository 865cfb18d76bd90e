/**
 * The pool's sessions by identifier: allocation (from pre-forked ready sessions), cooldown,
 * capacity, recovery after a kernel dies, and the calls the HTTP layer makes.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants as fsConstants, openSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { DataPathError, MOUNT_POINT, normaliseDataPath } from '../../kernel/data-paths.js';
import { KernelDiedError } from '../../kernel/errors.js';
import type { KernelClient } from '../../kernel/kernel-client.js';
import type { ShellRequest } from '../../kernel/types.js';
import type {
  ExecuteOutcome,
  PoolFileInfo,
  PoolMetadata,
  PoolSessionInfo,
  PoolSettings,
  PoolStats,
  SessionManager,
  ShellOutcome,
} from '../types.js';
import { PoolError } from '../types.js';
import { describeExit, poolFullMessage, poolRestartedNotice, sessionDeletedMessage, sessionLostMessage, stateLostNotice } from './messages.js';
import { openPoolCgroups, type PoolCgroups } from './cgroups.js';
import { preparePoolDirectory, UidAllocator, type PoolDirectory } from './pool-directory.js';
import { openDownload } from './file-download.js';
import { ReadyPool } from './ready-pool.js';
import type { SessionHostOptions } from './session-host.js';
import { bashVersion } from './bash-version.js';
import { nodeKernelConfig } from './node-kernel.js';
import { blockedDestinations } from './session-network.js';
import { SessionJournal } from './session-journal.js';
import { SessionProcess } from './session-process.js';
import { sessionRequest, type SessionRequestContext } from './session-request.js';
import { SocketHub } from './socket-hub.js';
import { ZYGOTE_DIR, zygoteCommand } from './zygote-command.js';
import { Zygote } from './zygote.js';

interface SessionRecord {
  identifier: string;
  createdAt: Date;
  lastAccessedAt: Date;
  /** The session's process, or its start in progress. */
  process: Promise<SessionProcess>;
  current: SessionProcess | undefined;
  /** Why the previous kernel went away, once it has. */
  lostReason: string | undefined;
  /** A state-lost notice for the next execution's stderr. */
  notice: string | undefined;
  busy: number;
  timer: NodeJS.Timeout | undefined;
  /** A kernel restart under way. */
  restarting?: Promise<SessionProcess>;
}

export interface SessionManagerOptions {
  logger?: Logger;
  /** Grace between SIGINT and kill for a timed-out cell (KernelClient's default otherwise). */
  interruptGraceMs?: number;
}

export class PoolSessionManager implements SessionManager {
  readonly #settings: PoolSettings;
  readonly #logger: Logger | undefined;
  readonly #sessions = new Map<string, SessionRecord>();
  readonly #ready: ReadyPool<SessionProcess>;
  /** The identifiers of live sessions on disk, when a journal is configured (sessionJournal). */
  #journal: SessionJournal | undefined;
  #dir: PoolDirectory | undefined;
  /** Open descriptor of the pool directory, inherited by the zygote. */
  #dirFd: number | undefined;
  #host: SessionHostOptions | undefined;
  #cgroups: PoolCgroups | undefined;
  #requestContext: SessionRequestContext | undefined;
  #hub: SocketHub | undefined;
  #zygote: Zygote | undefined;
  #zygoteStarting: Promise<Zygote> | undefined;
  #started: Promise<void> | undefined;
  #metadata: Promise<PoolMetadata> | undefined;
  #closing: Promise<void> | undefined;

  constructor(settings: PoolSettings, private readonly options: SessionManagerOptions = {}) {
    this.#settings = settings;
    this.#logger = options.logger;
    this.#ready = new ReadyPool({
      create: () => this.#createProcess(),
      minReady: settings.readySessions,
      maxReady: settings.maxReadySessions,
      room: () => this.#settings.maxSessions - this.#sessions.size,
      ...(this.#logger ? { logger: this.#logger } : {}),
    });
    if (settings.isolation === 'none') {
      this.#logger?.warn('pool isolation is "none": sessions are plain host processes with host filesystem and network access; use it only for trusted code');
    }
  }

  start(): Promise<void> {
    this.#started ??= this.#boot();
    return this.#started;
  }

  async execute(identifier: string, code: string, options: { timeoutMs: number; signal?: AbortSignal }): Promise<ExecuteOutcome> {
    return this.#run(identifier, options, (kernel, timeoutMs) => kernel.execute(code, { timeoutMs, signal: options.signal, outputLimitBytes: this.#settings.outputLimitBytes }));
  }

  async executeShell(identifier: string, request: ShellRequest, options: { timeoutMs: number; signal?: AbortSignal }): Promise<ShellOutcome> {
    if (this.#settings.containerType !== 'shell') {
      throw new PoolError('invalid_input', `This pool runs ${this.#settings.containerType} sessions, not shell commands; start one with --container-type shell.`);
    }
    return this.#run(identifier, options, (kernel, timeoutMs) => kernel.shell(request, { timeoutMs, signal: options.signal, outputLimitBytes: this.#settings.outputLimitBytes }));
  }

  /** Runs user code in the session's kernel; a notice about a lost previous kernel goes first in stderr. */
  async #run<R extends { stderr: string; stateLost?: boolean }>(
    identifier: string,
    options: { timeoutMs: number },
    call: (kernel: KernelClient, timeoutMs: number) => Promise<R>,
  ): Promise<{ response: R; allocated: boolean; freshKernel: boolean }> {
    return this.#use(identifier, async (session, record, allocated) => {
      const notice = record.notice ?? '';
      record.notice = undefined;
      const timeoutMs = Math.max(1, Math.min(options.timeoutMs, this.#settings.maxExecutionSeconds * 1000));
      let response: R;
      try {
        response = await call(session.kernel, timeoutMs);
      } catch (error) {
        if (!(error instanceof KernelDiedError)) throw error;
        // The next call restarts the kernel (or, if the whole session went, starts a fresh one).
        const reason = error.exit ? describeExit(error.exit) : `was ended (${error.message})`;
        record.lostReason = reason;
        throw new PoolError('session_lost', sessionLostMessage(reason), { cause: error });
      }
      if (response.stateLost) record.lostReason = 'was ended because a cell ignored the interrupt sent at its timeout';
      return { response: notice ? { ...response, stderr: notice + response.stderr } : response, allocated, freshKernel: notice !== '' };
    });
  }

  async writeFile(identifier: string, name: string, data: Readable | Uint8Array): Promise<PoolFileInfo> {
    const file = checkPath(name);
    return this.#use(identifier, (session) => session.files.write(file, data, this.#settings.diskMb * 1024 * 1024));
  }

  async listFiles(identifier: string, options: { directory?: string; recursive?: boolean } = {}): Promise<PoolFileInfo[]> {
    const directory = options.directory && options.directory !== MOUNT_POINT && options.directory !== '/' ? checkPath(options.directory) : undefined;
    return this.#use(identifier, (session) => session.files.list(directory, options.recursive ?? false));
  }

  async statFile(identifier: string, name: string): Promise<PoolFileInfo> {
    const file = checkPath(name);
    return this.#use(identifier, (session) => session.files.stat(file));
  }

  async readFile(identifier: string, name: string): Promise<{ info: PoolFileInfo; stream: Readable }> {
    const file = checkPath(name);
    // One range per request, as the reader wants more: a slow reader holds neither the server's
    // memory nor the session's file channel. A download in progress keeps the session from cooling down.
    return this.#use(identifier, (session, record) =>
      openDownload(session.files, file, {
        onChunk: () => {
          if (this.#sessions.get(identifier) === record) this.#touch(record);
        },
      }),
    );
  }

  async deleteFile(identifier: string, name: string): Promise<void> {
    const file = checkPath(name);
    return this.#use(identifier, (session) => session.files.delete(file));
  }

  getSession(identifier: string): PoolSessionInfo | undefined {
    const record = this.#sessions.get(identifier);
    return record ? this.#info(record) : undefined;
  }

  /**
   * Ends the session at once: it leaves the pool (a next call on the identifier starts a fresh one)
   * and its processes are killed. The caller does not wait for them to be gone: nothing of theirs
   * can be reached any more, and their uid, cgroup and memory are released as they exit.
   */
  async deleteSession(identifier: string): Promise<boolean> {
    const record = this.#sessions.get(identifier);
    if (!record) return false;
    await this.#end(record, false);
    return true;
  }

  listSessions(): PoolSessionInfo[] {
    return [...this.#sessions.values()].map((record) => this.#info(record));
  }

  stats(): PoolStats {
    return { live: this.#sessions.size, ready: this.#ready.size, maxSessions: this.#settings.maxSessions };
  }

  metadata(): Promise<PoolMetadata> {
    this.#metadata ??= (async () => {
      await this.start();
      // Sessions of a NodeLTS pool run the server's own Node.js; its built-in modules are what they have.
      if (this.#settings.containerType === 'node') return { runtimes: [{ name: 'node', version: process.versions.node }], preInstalledPackages: [] };
      const zygote = await this.#ensureZygote();
      const { python, packages } = await zygote.metadata();
      const runtimes = [{ name: 'python', version: python }];
      if (this.#settings.containerType === 'shell') runtimes.unshift({ name: 'bash', version: await bashVersion() });
      return { runtimes, preInstalledPackages: packages };
    })();
    this.#metadata.catch(() => {
      this.#metadata = undefined;
    });
    return this.#metadata;
  }

  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  /** A session's live process (its PID 1's pid, for measurements and diagnostics). */
  sessionProcess(identifier: string): SessionProcess | undefined {
    return this.#sessions.get(identifier)?.current;
  }

  /** The pool's private host directory (socket, copies of the Python files); gone after close(). */
  get hostDir(): string | undefined {
    return this.#dir?.hostDir;
  }

  /** The host uids this pool's zygote and sessions run as (server running as root only). */
  get uidBlock(): { first: number; size: number } | undefined {
    return this.#dir?.uids;
  }

  get zygotePid(): number | undefined {
    return this.#zygote?.pid;
  }

  // --- sessions ---------------------------------------------------------------------------

  async #use<T>(identifier: string, task: (session: SessionProcess, record: SessionRecord, allocated: boolean) => Promise<T>): Promise<T> {
    if (this.#closing) throw new PoolError('unavailable', 'The session pool is shutting down; retry against a running pool.');
    await this.start();
    let record = this.#sessions.get(identifier);
    const allocated = record === undefined;
    record ??= this.#allocate(identifier);
    record.busy++;
    this.#touch(record);
    try {
      let session: SessionProcess;
      try {
        session = await record.process;
        if (!session.alive) session = await this.#replace(record, session);
        else if (!session.kernelAlive) session = await this.#restartKernel(record, session);
      } catch (error) {
        // The session could not be (re)started: forget it so the next call starts over.
        if (this.#sessions.get(identifier) === record) this.#forget(record);
        throw error instanceof PoolError ? error : new PoolError('internal', `A session could not start: ${(error as Error).message}`, { cause: error });
      }
      return await task(session, record, allocated);
    } finally {
      record.busy--;
      if (this.#sessions.get(identifier) === record) this.#touch(record);
    }
  }

  #allocate(identifier: string): SessionRecord {
    if (this.#sessions.size >= this.#settings.maxSessions) throw new PoolError('capacity', poolFullMessage(this.#settings.maxSessions));
    const now = new Date();
    const record: SessionRecord = {
      identifier,
      createdAt: now,
      lastAccessedAt: now,
      process: this.#acquire(),
      current: undefined,
      lostReason: undefined,
      notice: undefined,
      busy: 0,
      timer: undefined,
    };
    // A session the pool held when it last stopped is gone with that pool: say so once.
    if (this.#journal?.has(identifier)) record.notice = poolRestartedNotice();
    this.#journal?.add(identifier);
    this.#adopt(record);
    this.#sessions.set(identifier, record);
    return record;
  }

  /** A ready session if there is one, else the next one the ready pool starts. */
  #acquire(): Promise<SessionProcess> {
    return this.#ready.acquire();
  }

  #adopt(record: SessionRecord): void {
    record.process.then(
      (session) => {
        record.current = session;
        void session.exited.then((exit) => {
          if (record.current !== session || this.#sessions.get(record.identifier) !== record || this.#closing) return;
          record.lostReason ??= describeExit(exit);
          this.#logger?.info({ identifier: record.identifier, exit }, 'pool session kernel ended; the next call starts a fresh one');
        });
      },
      () => undefined,
    );
  }

  /** The kernel died: start a fresh session under the same identifier (once, however many callers notice). */
  #replace(record: SessionRecord, dead: SessionProcess): Promise<SessionProcess> {
    // Deleted while this call waited (a kernel restart the delete cut short): a session started
    // now would belong to no identifier, so no delete or cooldown would ever end its processes.
    if (this.#sessions.get(record.identifier) !== record) return Promise.reject(new PoolError('session_lost', sessionDeletedMessage()));
    if (record.current === dead) {
      const reason = record.lostReason ?? (dead.exit ? describeExit(dead.exit) : 'stopped');
      record.notice = stateLostNotice(reason, false);
      record.lostReason = undefined;
      record.current = undefined;
      dead.kill();
      dead.files?.close();
      record.process = this.#acquire();
      this.#adopt(record);
    }
    return record.process;
  }

  /**
   * The kernel ended but the session lives: a fresh kernel in the same session, so /mnt/data is
   * kept (once, however many callers notice). A session whose kernel cannot restart is replaced.
   */
  #restartKernel(record: SessionRecord, session: SessionProcess): Promise<SessionProcess> {
    record.restarting ??= (async () => {
      const reason = record.lostReason ?? (session.lastKernelExit ? describeExit(session.lastKernelExit) : 'stopped');
      try {
        await session.restartKernel();
        record.lostReason = undefined;
        record.notice = stateLostNotice(reason, true);
        return session;
      } catch (error) {
        this.#logger?.warn({ identifier: record.identifier, err: error }, 'pool session kernel could not restart; starting a fresh session');
        session.kill();
        return this.#replace(record, session);
      }
    })().finally(() => {
      record.restarting = undefined;
    });
    return record.restarting;
  }

  #touch(record: SessionRecord): void {
    record.lastAccessedAt = new Date();
    clearTimeout(record.timer);
    record.timer = setTimeout(() => {
      // A call in flight re-arms the timer when it finishes.
      if (record.busy === 0 && this.#sessions.get(record.identifier) === record) void this.#end(record);
    }, this.#settings.cooldownSeconds * 1000);
    record.timer.unref();
  }

  /** The session ended on purpose (deleted, idle, or it could not start): it is not lost by a restart. */
  #forget(record: SessionRecord): void {
    clearTimeout(record.timer);
    this.#sessions.delete(record.identifier);
    this.#journal?.remove(record.identifier);
    this.#ready.refill();
  }

  async #end(record: SessionRecord, waitForExit = true): Promise<void> {
    this.#forget(record);
    const session = await record.process.catch(() => undefined);
    if (!session) return;
    session.kill();
    if (waitForExit) await withTimeout(session.exited, 5_000);
  }

  #info(record: SessionRecord): PoolSessionInfo {
    return {
      identifier: record.identifier,
      createdAt: record.createdAt,
      lastAccessedAt: record.lastAccessedAt,
      expiresAt: new Date(record.lastAccessedAt.getTime() + this.#settings.cooldownSeconds * 1000),
      etag: record.current?.etag ?? 'starting',
    };
  }

  // --- processes --------------------------------------------------------------------------

  async #boot(): Promise<void> {
    const settings = this.#settings;
    if (settings.sessionJournal) this.#journal = SessionJournal.open(settings.sessionJournal);
    const asRoot = settings.isolation === 'bwrap' && process.getuid?.() === 0;
    if (settings.egress && settings.isolation === 'bwrap' && !asRoot) {
      throw new PoolError(
        'invalid_input',
        'Session egress needs the pool to run as root (each session gets its own network namespace with user-mode NAT and its own host uid); run the server as root, or turn egress off.',
      );
    }
    this.#dir = await preparePoolDirectory(asRoot);
    const uids = this.#dir.uids;
    const owner = uids ? { uid: uids.first, gid: uids.first } : undefined;
    if (uids) {
      this.#cgroups = await openPoolCgroups(`pool-${path.basename(this.#dir.hostDir)}`);
      if (!this.#cgroups) this.#logger?.warn('pool: cgroups are not writable here; sessions are limited per process (rlimits) instead of as a whole');
      this.#host = {
        uids: new UidAllocator(uids),
        cgroups: this.#cgroups,
        egress: settings.egress,
        limits: { memoryBytes: settings.memoryMb * 1024 * 1024, maxProcesses: settings.maxProcesses },
      };
    } else if (settings.isolation === 'bwrap') {
      this.#logger?.warn('pool: not running as root, so sessions share one host uid and have no cgroup; run the server as root for the full isolation');
    }
    this.#requestContext = {
      hostIds: uids !== undefined,
      memoryCgroup: this.#cgroups !== undefined,
      blockedAddresses: settings.egress ? blockedDestinations() : [],
    };
    this.#hub = await SocketHub.listen(this.#dir.socketHostPath, owner);
    const nodeKernel = await nodeKernelConfig(settings, this.#dir.hostDir);
    await writeFile(
      path.join(this.#dir.hostDir, 'zygote.json'),
      JSON.stringify({
        socketPath: `${ZYGOTE_DIR}/pool.sock`,
        runAs: owner?.uid ?? null,
        namespaces: settings.isolation === 'bwrap',
        // Only Python cells use the scientific stack; in NodeLTS and Shell sessions it would only cost memory.
        preload: settings.containerType === 'python',
        nodeKernel,
      }),
    );
    this.#dirFd = openSync(this.#dir.hostDir, fsConstants.O_RDONLY | fsConstants.O_DIRECTORY);
    await this.#ensureZygote();
    this.#ready.refill();
    await this.#ready.whenOneReady();
  }

  #ensureZygote(): Promise<Zygote> {
    if (this.#zygote?.alive) return Promise.resolve(this.#zygote);
    this.#zygoteStarting ??= this.#startZygote().finally(() => {
      this.#zygoteStarting = undefined;
    });
    return this.#zygoteStarting;
  }

  async #startZygote(): Promise<Zygote> {
    if (this.#closing) throw new PoolError('unavailable', 'The session pool is shutting down; retry against a running pool.');
    const command = await zygoteCommand(this.#settings, this.#dir!);
    const zygote = new Zygote(command, this.#dirFd!, this.#logger);
    void zygote.exited.then((exit) => {
      if (!this.#closing) this.#logger?.error({ exit, stderr: zygote.stderrTail() }, 'pool zygote exited; sessions were lost and it will be restarted on demand');
    });
    const failed = zygote.exited.then(() => {
      throw new PoolError('internal', `The pool's zygote (${command.command}) did not start: ${zygote.stderrTail().trim() || 'no output'}. Check the isolation mode (${this.#settings.isolation}) with "tidepool doctor".`);
    });
    await Promise.race([zygote.ready, failed]);
    this.#zygote = zygote;
    return zygote;
  }

  async #createProcess(): Promise<SessionProcess> {
    const zygote = await this.#ensureZygote();
    const dir = this.#dir!;
    const name = randomBytes(8).toString('hex');
    // bwrap: a tmpfs at /mnt/data in the session's mount namespace. none: a directory on the host.
    const hostDataDir = this.#settings.isolation === 'none' ? path.join(dir.hostDir, 'sessions', name) : undefined;
    const dataDir = hostDataDir ?? MOUNT_POINT;
    const session = await SessionProcess.start({
      zygote,
      hub: this.#hub!,
      request: sessionRequest(this.#settings, this.#requestContext!, dataDir),
      dataDir,
      outputLimitBytes: this.#settings.outputLimitBytes,
      maxFileBytes: this.#settings.diskMb * 1024 * 1024,
      ...(this.#host ? { host: this.#host } : {}),
      ...(this.options.interruptGraceMs !== undefined ? { interruptGraceMs: this.options.interruptGraceMs } : {}),
    });
    if (hostDataDir) void session.exited.then(() => rm(hostDataDir, { recursive: true, force: true }));
    return session;
  }

  async #shutdown(): Promise<void> {
    await this.#started?.catch(() => undefined);
    for (const record of this.#sessions.values()) clearTimeout(record.timer);
    const sessions = [...this.#ready.close(new PoolError('unavailable', 'The session pool is shutting down; retry against a running pool.'))];
    for (const record of this.#sessions.values()) {
      const session = await withTimeout(record.process.catch(() => undefined), 1_000);
      if (session) sessions.push(session);
    }
    this.#sessions.clear();
    // kill() closes each session's file channel too.
    for (const session of sessions) session.kill();
    await Promise.all(sessions.map((session) => withTimeout(session.exited, 3_000)));
    await this.#zygote?.close();
    await this.#zygoteStarting?.then((zygote) => zygote.close()).catch(() => undefined);
    await this.#hub?.close();
    await this.#cgroups?.close().catch(() => undefined);
    if (this.#dirFd !== undefined) closeSync(this.#dirFd);
    if (this.#dir) await rm(this.#dir.hostDir, { recursive: true, force: true });
    // The sessions still listed were held until now: a restarted pool reports them as lost.
    this.#journal?.close();
  }
}

function checkPath(name: string): string {
  try {
    return normaliseDataPath(name);
  } catch (error) {
    if (error instanceof DataPathError) throw new PoolError('invalid_input', error.message);
    throw error;
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
