/**
 * A SessionManager that keeps everything in memory and runs no kernel, so the HTTP edge can be
 * fuzzed with tens of thousands of requests a minute. Its answers are predictable on purpose: an
 * execution's stdout is the code it was given and its value the code's length, so a 200 that
 * carries another request's code or another session's files is caught by the fuzzer's oracle.
 * It enforces maxSessions and answers missing files and directories as the real runtime does.
 */
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { PoolError, type ExecuteOutcome, type PoolFileInfo, type PoolMetadata, type PoolSessionInfo, type PoolStats, type SessionManager, type ShellOutcome } from '../../../src/pool/types.js';
import type { ShellRequest } from '../../../src/kernel/types.js';

interface MemorySession {
  info: PoolSessionInfo;
  files: Map<string, { data: Buffer; lastModified: Date }>;
}

export class MemorySessionManager implements SessionManager {
  readonly #sessions = new Map<string, MemorySession>();
  #nextEtag = 1;

  constructor(private readonly maxSessions: number) {}

  async start(): Promise<void> {}

  async execute(identifier: string, code: string): Promise<ExecuteOutcome> {
    const { allocated } = this.#ensure(identifier);
    return {
      allocated,
      freshKernel: false,
      response: { status: 'success', stdout: code, stderr: '', hasResult: true, result: code.length, repr: String(code.length), images: [], error: null, durationMs: 1 },
    };
  }

  /** Answers like execute: stdout is the command (or the argv joined by spaces). */
  async executeShell(identifier: string, request: ShellRequest): Promise<ShellOutcome> {
    const { allocated } = this.#ensure(identifier);
    return { allocated, freshKernel: false, response: { exitCode: 0, stdout: request.command ?? request.argv.join(' '), stderr: '', error: null, durationMs: 1 } };
  }

  async writeFile(identifier: string, name: string, data: Readable | Uint8Array): Promise<PoolFileInfo> {
    const { session } = this.#ensure(identifier);
    const bytes = data instanceof Readable ? await buffer(data) : Buffer.from(data);
    session.files.set(name, { data: bytes, lastModified: new Date() });
    return { name, type: 'file', sizeBytes: bytes.length, lastModified: new Date() };
  }

  async listFiles(identifier: string, options: { directory?: string; recursive?: boolean } = {}): Promise<PoolFileInfo[]> {
    const { session } = this.#ensure(identifier);
    const prefix = options.directory ? `${options.directory}/` : '';
    const inside = [...session.files.entries()].filter(([name]) => name.startsWith(prefix));
    if (prefix && inside.length === 0) throw new PoolError('not_found', `No directory "${options.directory}" in /mnt/data.`);
    return inside
      .filter(([name]) => options.recursive || !name.slice(prefix.length).includes('/'))
      .map(([name, file]) => ({ name, type: 'file' as const, sizeBytes: file.data.length, lastModified: file.lastModified }));
  }

  async statFile(identifier: string, name: string): Promise<PoolFileInfo> {
    const file = this.#file(identifier, name);
    return { name, type: 'file', sizeBytes: file.data.length, lastModified: file.lastModified };
  }

  async readFile(identifier: string, name: string): Promise<{ info: PoolFileInfo; stream: Readable }> {
    const file = this.#file(identifier, name);
    return { info: { name, type: 'file', sizeBytes: file.data.length, lastModified: file.lastModified }, stream: Readable.from([file.data]) };
  }

  async deleteFile(identifier: string, name: string): Promise<void> {
    this.#file(identifier, name);
    this.#sessions.get(identifier)!.files.delete(name);
  }

  /** The bytes stored under `name`, for the oracle; undefined when there is no such file. */
  peek(identifier: string, name: string): Buffer | undefined {
    return this.#sessions.get(identifier)?.files.get(name)?.data;
  }

  getSession(identifier: string): PoolSessionInfo | undefined {
    return this.#sessions.get(identifier)?.info;
  }

  async deleteSession(identifier: string): Promise<boolean> {
    return this.#sessions.delete(identifier);
  }

  listSessions(): PoolSessionInfo[] {
    return [...this.#sessions.values()].map((session) => session.info);
  }

  stats(): PoolStats {
    return { live: this.#sessions.size, ready: 0, maxSessions: this.maxSessions };
  }

  async metadata(): Promise<PoolMetadata> {
    return { runtimes: [{ name: 'python', version: '3.11' }], preInstalledPackages: [] };
  }

  async close(): Promise<void> {
    this.#sessions.clear();
  }

  #file(identifier: string, name: string): { data: Buffer; lastModified: Date } {
    const file = this.#ensure(identifier).session.files.get(name);
    if (!file) throw new PoolError('not_found', `No file "${name}" in /mnt/data.`);
    return file;
  }

  #ensure(identifier: string): { session: MemorySession; allocated: boolean } {
    const existing = this.#sessions.get(identifier);
    if (existing) return { session: existing, allocated: false };
    if (this.#sessions.size >= this.maxSessions) throw new PoolError('capacity', `All ${this.maxSessions} sessions are in use.`);
    const now = new Date();
    const info = { identifier, createdAt: now, lastAccessedAt: now, expiresAt: new Date(now.getTime() + 600_000), etag: String(this.#nextEtag++) };
    const session = { info, files: new Map() };
    this.#sessions.set(identifier, session);
    return { session, allocated: true };
  }
}
