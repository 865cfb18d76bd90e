/**
 * A fake of `@e2b/code-interpreter` at the backend's boundary. It answers with the SDK's documented
 * shapes, typed with the SDK's own exported types, from a script the test writes: cells map to
 * executions, and anything the script does not cover fails loudly.
 */
import type { CommandResult, Context, CreateCodeContextOpts, RunCodeOpts, SandboxConnectOpts, SandboxOpts, WriteInfo } from '@e2b/code-interpreter';
import { FileNotFoundError, FileType, SandboxNotFoundError } from '@e2b/code-interpreter';
import type { E2BEntry, E2BExecution, E2BSandboxFactory, E2BSandboxHandle } from '../../src/sandbox/backends/e2b/e2b-sdk.js';

export type CellScript = (code: string, opts: RunCodeOpts & { context?: Context }) => E2BExecution | Promise<E2BExecution>;

export interface FakeE2BWorld {
  created: SandboxOpts[];
  connected: { sandboxId: string; opts: SandboxConnectOpts }[];
  sandboxes: Map<string, FakeE2BSandbox>;
  /** Every call any sandbox received, in order, e.g. `runCode x = 1`. */
  calls: string[];
  script: CellScript;
  failCreate?: Error;
}

export function newWorld(script: CellScript = () => execution()): FakeE2BWorld {
  return { created: [], connected: [], sandboxes: new Map(), calls: [], script };
}

/** An `Execution` as the SDK documents it: results, logs and an optional error. */
export function execution(parts: Partial<E2BExecution> = {}): E2BExecution {
  return { results: [], logs: { stdout: [], stderr: [] }, error: undefined, ...parts };
}

export function fakeSandboxFactory(world: FakeE2BWorld): E2BSandboxFactory {
  return {
    async create(opts) {
      world.calls.push('create');
      if (world.failCreate) throw world.failCreate;
      world.created.push(opts);
      const sandbox = new FakeE2BSandbox(`e2b-${world.sandboxes.size + 1}`, world);
      world.sandboxes.set(sandbox.sandboxId, sandbox);
      return sandbox;
    },
    async connect(sandboxId, opts) {
      world.calls.push(`connect ${sandboxId}`);
      world.connected.push({ sandboxId, opts });
      const sandbox = world.sandboxes.get(sandboxId);
      if (!sandbox || sandbox.killed) throw new SandboxNotFoundError(`Sandbox ${sandboxId} not found`);
      return sandbox;
    },
  };
}

export class FakeE2BSandbox implements E2BSandboxHandle {
  killed = false;
  readonly fileData = new Map<string, Uint8Array>();
  restartFails = false;
  #contexts = 0;

  constructor(
    readonly sandboxId: string,
    private readonly world: FakeE2BWorld,
  ) {}

  async runCode(code: string, opts: RunCodeOpts & { context?: Context }): Promise<E2BExecution> {
    this.#live();
    this.world.calls.push(`runCode ${code}`);
    return this.world.script(code, opts);
  }

  async createCodeContext(opts?: CreateCodeContextOpts): Promise<Context> {
    this.#live();
    this.world.calls.push(`createCodeContext ${opts?.cwd} ${opts?.language}`);
    this.#contexts += 1;
    return { id: `ctx-${this.#contexts}`, language: opts?.language ?? 'python', cwd: opts?.cwd ?? '/home/user' };
  }

  async restartCodeContext(context: Context | string): Promise<void> {
    this.world.calls.push(`restartCodeContext ${typeof context === 'string' ? context : context.id}`);
    if (this.restartFails) throw new SandboxNotFoundError('sandbox was killed');
  }

  async setTimeout(timeoutMs: number): Promise<void> {
    this.world.calls.push(`setTimeout ${timeoutMs}`);
  }

  async kill(): Promise<boolean> {
    this.world.calls.push(`kill ${this.sandboxId}`);
    this.killed = true;
    return true;
  }

  readonly files = {
    write: async (path: string, data: ArrayBuffer): Promise<WriteInfo> => {
      this.#live();
      this.world.calls.push(`write ${path}`);
      this.fileData.set(path, new Uint8Array(data));
      return { name: path.split('/').at(-1)!, type: FileType.FILE, path };
    },
    read: async (path: string, opts: { format: 'bytes' }): Promise<Uint8Array> => {
      if (opts.format !== 'bytes') throw new Error(`fake E2B only reads bytes, got ${opts.format}`);
      const data = this.fileData.get(path);
      if (!data) throw new FileNotFoundError(`file ${path} not found`);
      return data;
    },
    list: async (path: string): Promise<E2BEntry[]> => {
      this.world.calls.push(`list ${path}`);
      const entries: E2BEntry[] = [{ name: 'sub', type: FileType.DIR, path: `${path}/sub`, size: 0, modifiedTime: new Date(0) }];
      for (const [file, data] of this.fileData) {
        entries.push({ name: file.split('/').at(-1)!, type: FileType.FILE, path: file, size: data.byteLength, modifiedTime: new Date(1000) });
      }
      return entries;
    },
    remove: async (path: string): Promise<void> => {
      this.world.calls.push(`remove ${path}`);
      if (!this.fileData.delete(path)) throw new FileNotFoundError(`file ${path} not found`);
    },
  };

  readonly commands = {
    run: async (cmd: string, opts?: { user?: string }): Promise<Pick<CommandResult, 'exitCode' | 'stdout' | 'stderr'>> => {
      this.world.calls.push(`commands.run ${opts?.user} ${cmd}`);
      if (!cmd.startsWith('mkdir -p /mnt/data')) throw new Error(`fake E2B does not know the command: ${cmd}`);
      return { exitCode: 0, stdout: '', stderr: '' };
    },
  };

  #live(): void {
    if (this.killed) throw new SandboxNotFoundError(`Sandbox ${this.sandboxId} not found`);
  }
}
