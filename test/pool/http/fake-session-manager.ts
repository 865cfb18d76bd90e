/**
 * An honest in-memory SessionManager for the HTTP tests: one real host kernel (no isolation)
 * per identifier, each with its own temporary directory playing /mnt/data. It enforces
 * maxSessions, turns a dead kernel into PoolError('session_lost') and a missing file into
 * PoolError('not_found'), as the real runtime does.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, realpath, rm, stat, unlink } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DataPathError, resolveDataPath } from '../../../src/kernel/data-paths.js';
import { KernelDiedError } from '../../../src/kernel/errors.js';
import { startHostKernel } from '../../../src/kernel/host-process.js';
import { KernelClient } from '../../../src/kernel/kernel-client.js';
import type { ShellRequest } from '../../../src/kernel/types.js';
import {
  PoolError,
  type ExecuteOutcome,
  type PoolFileInfo,
  type PoolMetadata,
  type PoolSessionInfo,
  type PoolSettings,
  type PoolStats,
  type SessionManager,
  type ShellOutcome,
} from '../../../src/pool/types.js';

interface FakeSession {
  info: PoolSessionInfo;
  dataDir: string;
  kernel: KernelClient | undefined;
  lostNotice: boolean;
}

export class FakeSessionManager implements SessionManager {
  readonly #sessions = new Map<string, FakeSession>();
  #root: string | undefined;
  started = false;
  closed = false;

  constructor(private readonly settings: Pick<PoolSettings, 'maxSessions' | 'cooldownSeconds' | 'pythonPath' | 'outputLimitBytes'>) {}

  async start(): Promise<void> {
    this.#root = await realpath(await mkdtemp(path.join(os.tmpdir(), 'tidepool-http-fake-')));
    this.started = true;
  }

  async execute(identifier: string, code: string, options: { timeoutMs: number; signal?: AbortSignal }): Promise<ExecuteOutcome> {
    return this.#run(identifier, (kernel) => kernel.execute(code, { ...options, outputLimitBytes: this.settings.outputLimitBytes }));
  }

  async executeShell(identifier: string, request: ShellRequest, options: { timeoutMs: number; signal?: AbortSignal }): Promise<ShellOutcome> {
    return this.#run(identifier, (kernel) => kernel.shell(request, { ...options, outputLimitBytes: this.settings.outputLimitBytes }));
  }

  async #run<R extends { stderr: string; stateLost?: boolean }>(identifier: string, call: (kernel: KernelClient) => Promise<R>) {
    const { session, allocated } = await this.#ensure(identifier);
    let stateLost = false;
    if (!session.kernel?.alive) {
      stateLost = session.kernel !== undefined || session.lostNotice;
      session.lostNotice = false;
      session.kernel = new KernelClient(startHostKernel({ pythonPath: this.settings.pythonPath, dataDir: session.dataDir }));
    }
    try {
      const response = await call(session.kernel);
      if (stateLost) response.stderr = `[tidepool] the previous kernel stopped; this ran in a fresh one.\n${response.stderr}`;
      if (response.stateLost) session.lostNotice = true;
      return { response, allocated, freshKernel: stateLost };
    } catch (error) {
      if (error instanceof KernelDiedError) {
        session.lostNotice = true;
        throw new PoolError('session_lost', `The session's kernel stopped while running the code (${error.message}).`, { cause: error });
      }
      throw error;
    }
  }

  async writeFile(identifier: string, name: string, data: Readable | Uint8Array): Promise<PoolFileInfo> {
    const { session } = await this.#ensure(identifier);
    const file = this.#path(session, name);
    await mkdir(path.dirname(file), { recursive: true });
    await pipeline(data instanceof Readable ? data : Readable.from([data]), createWriteStream(file));
    return this.#info(session, file);
  }

  async listFiles(identifier: string, options: { directory?: string; recursive?: boolean } = {}): Promise<PoolFileInfo[]> {
    const { session } = await this.#ensure(identifier);
    const directory = options.directory ? this.#path(session, options.directory) : session.dataDir;
    const entries = await readdir(directory, { recursive: options.recursive ?? false, withFileTypes: true }).catch(() => {
      throw new PoolError('not_found', `No directory "${options.directory}" in /mnt/data.`);
    });
    const visible = entries.filter((entry) => !path.relative(session.dataDir, path.join(entry.parentPath, entry.name)).split(path.sep).some((s) => s.startsWith('.')));
    return Promise.all(visible.map((entry) => this.#info(session, path.join(entry.parentPath, entry.name))));
  }

  async statFile(identifier: string, name: string): Promise<PoolFileInfo> {
    const { session } = await this.#ensure(identifier);
    return this.#info(session, await this.#existing(session, name));
  }

  async readFile(identifier: string, name: string): Promise<{ info: PoolFileInfo; stream: Readable }> {
    const { session } = await this.#ensure(identifier);
    const file = await this.#existing(session, name);
    const info = await this.#info(session, file);
    if (info.type !== 'file') throw new PoolError('invalid_input', `"${name}" is a directory.`);
    return { info, stream: createReadStream(file) };
  }

  async deleteFile(identifier: string, name: string): Promise<void> {
    const { session } = await this.#ensure(identifier);
    await unlink(await this.#existing(session, name));
  }

  getSession(identifier: string): PoolSessionInfo | undefined {
    return this.#sessions.get(identifier)?.info;
  }

  async deleteSession(identifier: string): Promise<boolean> {
    const session = this.#sessions.get(identifier);
    if (!session) return false;
    this.#sessions.delete(identifier);
    session.kernel?.kill();
    await rm(session.dataDir, { recursive: true, force: true });
    return true;
  }

  listSessions(): PoolSessionInfo[] {
    return [...this.#sessions.values()].map((session) => session.info);
  }

  stats(): PoolStats {
    return { live: this.#sessions.size, ready: 0, maxSessions: this.settings.maxSessions };
  }

  async metadata(): Promise<PoolMetadata> {
    return { runtimes: [{ name: 'python', version: '3.11' }], preInstalledPackages: [{ name: 'numpy', version: '1.24' }] };
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.#sessions.keys()].map((identifier) => this.deleteSession(identifier)));
    if (this.#root) await rm(this.#root, { recursive: true, force: true });
  }

  /** How many sessions are allocated right now. */
  get sessionCount(): number {
    return this.#sessions.size;
  }

  async #ensure(identifier: string): Promise<{ session: FakeSession; allocated: boolean }> {
    if (!this.#root) throw new PoolError('internal', 'start() was not called');
    const existing = this.#sessions.get(identifier);
    const now = new Date();
    if (existing) {
      existing.info.lastAccessedAt = now;
      existing.info.expiresAt = new Date(now.getTime() + this.settings.cooldownSeconds * 1000);
      return { session: existing, allocated: false };
    }
    if (this.#sessions.size >= this.settings.maxSessions) {
      throw new PoolError('capacity', `All ${this.settings.maxSessions} sessions are in use.`);
    }
    const dataDir = path.join(this.#root, randomUUID());
    await mkdir(dataDir);
    const session: FakeSession = {
      info: { identifier, createdAt: now, lastAccessedAt: now, expiresAt: new Date(now.getTime() + this.settings.cooldownSeconds * 1000), etag: randomUUID() },
      dataDir,
      kernel: undefined,
      lostNotice: false,
    };
    this.#sessions.set(identifier, session);
    return { session, allocated: true };
  }

  #path(session: FakeSession, name: string): string {
    try {
      return resolveDataPath(session.dataDir, name);
    } catch (error) {
      if (error instanceof DataPathError) throw new PoolError('invalid_input', error.message);
      throw error;
    }
  }

  async #existing(session: FakeSession, name: string): Promise<string> {
    const file = this.#path(session, name);
    await lstat(file).catch(() => {
      throw new PoolError('not_found', `No file "${name}" in this session's /mnt/data; list the files to see what is there.`);
    });
    return file;
  }

  async #info(session: FakeSession, file: string): Promise<PoolFileInfo> {
    const stats = await stat(file);
    return {
      name: path.relative(session.dataDir, file).split(path.sep).join('/'),
      type: stats.isDirectory() ? 'directory' : 'file',
      sizeBytes: stats.isDirectory() ? 0 : stats.size,
      lastModified: stats.mtime,
    };
  }
}
