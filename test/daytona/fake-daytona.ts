/**
 * A fake of `@daytonaio/sdk` at the backend's boundary: the SDK's documented shapes (typed with its
 * own exported types), backed by real Python so the runner that goes into the sandbox is exercised
 * for real. Each interpreter context is a Local kernel; all contexts of a sandbox share one
 * directory that plays /mnt/data. Anything the fake does not know fails loudly.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  DaytonaFileNotFoundError,
  DaytonaNotFoundError,
  DaytonaTimeoutError,
  type CreateSandboxFromSnapshotParams,
  type DaytonaConfig,
  type ExecutionResult,
  type RunCodeOptions,
} from '@daytonaio/sdk';
import { createLocalSandbox, type LocalSandbox } from '../../src/index.js';
import type { DaytonaClient, DaytonaCommandResult, DaytonaContext, DaytonaFileEntry, DaytonaSandboxHandle } from '../../src/sandbox/backends/daytona/daytona-sdk.js';

export interface FakeDaytonaWorld {
  configs: DaytonaConfig[];
  created: CreateSandboxFromSnapshotParams[];
  sandboxes: Map<string, FakeDaytonaSandbox>;
  /** Calls by name, for asserting what the backend asked for. */
  calls: string[];
  /** When set, the next `create` throws it. */
  failCreate?: Error;
}

export function newWorld(): FakeDaytonaWorld {
  return { configs: [], created: [], sandboxes: new Map(), calls: [] };
}

export async function closeWorld(world: FakeDaytonaWorld): Promise<void> {
  await Promise.all([...world.sandboxes.values()].map((sandbox) => sandbox.delete()));
}

/** Returns a class to pass as `sdk.Daytona`; every instance shares `world`. */
export function fakeDaytonaClass(world: FakeDaytonaWorld) {
  return class FakeDaytona implements DaytonaClient {
    constructor(config: DaytonaConfig) {
      world.configs.push(config);
    }

    async create(params: CreateSandboxFromSnapshotParams = {}): Promise<DaytonaSandboxHandle> {
      world.calls.push('create');
      if (world.failCreate) throw world.failCreate;
      world.created.push(params);
      const sandbox = new FakeDaytonaSandbox(`sbx-${world.sandboxes.size + 1}`, await mkdtemp(path.join(os.tmpdir(), 'fake-daytona-')), world);
      world.sandboxes.set(sandbox.id, sandbox);
      return sandbox;
    }

    async get(sandboxIdOrName: string): Promise<DaytonaSandboxHandle> {
      world.calls.push(`get ${sandboxIdOrName}`);
      const sandbox = world.sandboxes.get(sandboxIdOrName);
      if (!sandbox || sandbox.deleted) throw new DaytonaNotFoundError(`Sandbox with ID or name ${sandboxIdOrName} not found`, 404);
      return sandbox;
    }
  };
}

export class FakeDaytonaSandbox implements DaytonaSandboxHandle {
  state = 'started' as const;
  deleted = false;
  readonly #contexts = new Map<string, LocalSandbox>();
  #nextContext = 1;

  constructor(
    readonly id: string,
    readonly dataDir: string,
    private readonly world: FakeDaytonaWorld,
  ) {}

  async start(): Promise<void> {}

  async delete(): Promise<void> {
    if (this.deleted) return;
    this.deleted = true;
    this.world.calls.push(`delete ${this.id}`);
    await Promise.all([...this.#contexts.values()].map((kernel) => kernel.close()));
    await rm(this.dataDir, { recursive: true, force: true });
  }

  readonly process = {
    executeCommand: async (command: string): Promise<DaytonaCommandResult> => {
      this.world.calls.push('executeCommand');
      if (!command.includes('mkdir -p /mnt/data')) throw new Error(`fake Daytona does not know the command: ${command}`);
      return { exitCode: 0, result: '' };
    },
  };

  readonly codeInterpreter = {
    createContext: async (cwd?: string): Promise<DaytonaContext> => {
      if (cwd !== '/mnt/data') throw new Error(`fake Daytona expected cwd /mnt/data, got ${cwd}`);
      const id = `ctx-${this.#nextContext++}`;
      this.#contexts.set(id, createLocalSandbox({ interruptGraceMs: 300 }));
      this.world.calls.push(`createContext ${id}`);
      return { id, cwd, language: 'python', active: true, createdAt: new Date().toISOString() };
    },
    deleteContext: async (context: DaytonaContext): Promise<void> => {
      this.world.calls.push(`deleteContext ${context.id}`);
      await this.#contexts.get(context.id)?.close();
      this.#contexts.delete(context.id);
    },
    runCode: async (code: string, options: RunCodeOptions = {}): Promise<ExecutionResult> => {
      const kernel = options.context ? this.#contexts.get(options.context.id) : undefined;
      if (!kernel) throw new DaytonaNotFoundError(`context ${options.context?.id} not found`, 404);
      // In the real sandbox /mnt/data exists; here the sandbox's directory plays it.
      const local = await kernel.session('default').execute(code.replaceAll('/mnt/data', this.dataDir), { timeoutMs: (options.timeout ?? 600) * 1000 });
      if (local.error?.type === 'TimeoutError') {
        throw new DaytonaTimeoutError('Execution timed out: operation exceeded the configured `timeout`. Provide a larger value if needed.');
      }
      await options.onStdout?.({ output: local.stdout });
      await options.onStderr?.({ output: local.stderr });
      const result: ExecutionResult = { stdout: local.stdout, stderr: local.stderr };
      if (local.error) result.error = { name: local.error.type, value: local.error.message, traceback: local.error.traceback };
      return result;
    },
  };

  readonly fs = {
    uploadFile: async (file: Buffer, remotePath: string): Promise<void> => {
      const target = this.#hostPath(remotePath);
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(target, file);
    },
    downloadFile: async (remotePath: string): Promise<Buffer> => {
      return readFile(this.#hostPath(remotePath)).catch(() => {
        throw new DaytonaFileNotFoundError(`file not found: ${remotePath}`, 404);
      });
    },
    listFiles: async (dir: string): Promise<DaytonaFileEntry[]> => {
      const host = this.#hostPath(dir);
      const entries = await readdir(host, { withFileTypes: true });
      return Promise.all(
        entries.map(async (entry) => {
          const info = await stat(path.join(host, entry.name));
          return { name: entry.name, isDir: entry.isDirectory(), size: info.size, modTime: info.mtime.toISOString() };
        }),
      );
    },
    deleteFile: async (remotePath: string): Promise<void> => {
      await unlink(this.#hostPath(remotePath)).catch(() => {
        throw new DaytonaFileNotFoundError(`file not found: ${remotePath}`, 404);
      });
    },
  };

  #hostPath(remotePath: string): string {
    if (remotePath !== '/mnt/data' && !remotePath.startsWith('/mnt/data/')) throw new Error(`fake Daytona: path outside /mnt/data: ${remotePath}`);
    return path.join(this.dataDir, remotePath.slice('/mnt/data'.length));
  }
}
