import { access, constants, mkdtemp, readdir, readFile, realpath, rm, stat, unlink, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DataPathError, resolveDataPath } from '../../../kernel/data-paths.js';
import { KernelDiedError } from '../../../kernel/errors.js';
import { startHostJavaScriptKernel, startHostKernel } from '../../../kernel/host-process.js';
import { KernelClient } from '../../../kernel/kernel-client.js';
import type { KernelResponse, ShellResponse } from '../../../kernel/types.js';
import { ConfigurationError, InvalidInputError, NotFoundError, SessionLostError } from '../../../errors.js';
import { shellExecutionResult, toCellResult, validateCode, validateExecuteOptions } from '../../execution.js';
import { requireLanguage } from '../../languages.js';
import { SessionLifecycle } from '../../lifecycle.js';
import type { ExecuteOptions, ExecutionResult, FileInfo, Language, SandboxSession } from '../../types.js';

/** The host Python kernel runs Python cells and, through its shell op, bash; the JavaScript kernel runs on the Node.js running Tidepool. */
export const LOCAL_LANGUAGES: readonly Language[] = ['python', 'javascript', 'shell'];

/** The kernel process a language runs in: shell commands go through the Python kernel's shell op. */
type KernelKind = 'python' | 'javascript';

const KERNEL_OF: Record<Language, KernelKind> = { python: 'python', javascript: 'javascript', shell: 'python' };

export interface LocalSessionConfig {
  pythonPath: string;
  /** Node.js for JavaScript cells; undefined runs the one running Tidepool. */
  nodePath?: string;
  defaultTimeoutMs: number;
  outputLimitBytes: number;
  interruptGraceMs?: number;
  /** Where per-session data directories are created. */
  rootDir: string;
}

const STATE_LOST_NOTICE =
  "[tidepool] This session's previous kernel stopped, so its variables were lost; a fresh kernel was started (files in the data directory were kept).\n";

/**
 * Host subprocess kernels (Python, and JavaScript once the session runs it) sharing a temporary data
 * directory. Each starts on first use; each keeps its own variables.
 */
export class LocalSession implements SandboxSession {
  readonly sandboxType = 'Local' as const;
  readonly #kernels = new Map<KernelKind, KernelClient>();
  #dataDir: string | undefined;
  readonly #starting = new Map<KernelKind, Promise<KernelClient>>();
  #closed = false;
  /** Kernels that stopped since their last cell: the next cell of that kind says its variables were lost. */
  readonly #stateLost = new Set<KernelKind>();

  constructor(
    readonly identifier: string,
    private readonly config: LocalSessionConfig,
    private readonly lifecycle: SessionLifecycle,
    private readonly onClose: () => void,
  ) {}

  /** The host directory that plays /mnt/data, once the session has started. */
  get dataDir(): string | undefined {
    return this.#dataDir;
  }

  async execute(code: string, options?: ExecuteOptions): Promise<ExecutionResult> {
    validateCode(code);
    const language = requireLanguage(options?.language, 'Local', LOCAL_LANGUAGES);
    const { timeoutMs, signal } = validateExecuteOptions(options, this.config.defaultTimeoutMs);
    const kind = KERNEL_OF[language];
    const kernel = await this.#ensureKernel(kind);
    const notice = this.#takeNotice(kind);
    this.lifecycle.executing();
    let result: ExecutionResult;
    try {
      const run = { timeoutMs, signal, outputLimitBytes: this.config.outputLimitBytes };
      result = language === 'shell' ? this.#shellResult(await kernel.shell({ command: code }, run)) : this.#cellResult(kind, await kernel.execute(code, run));
    } catch (error) {
      this.lifecycle.failed(error instanceof Error ? error.message : String(error));
      if (error instanceof KernelDiedError) {
        this.#stateLost.add(kind);
        throw new SessionLostError(`${error.message}. The session's variables were lost; run the code again to start a fresh kernel.`, { cause: error });
      }
      throw error;
    }
    if (result.status === 'success') this.lifecycle.finished();
    else this.lifecycle.failed(result.error ? `${result.error.type}: ${result.error.message}` : 'failure');
    return { ...result, stderr: notice + result.stderr };
  }

  #cellResult(kind: KernelKind, response: KernelResponse): ExecutionResult {
    if (response.stateLost) this.#stateLost.add(kind);
    return {
      status: response.status,
      stdout: response.stdout,
      stderr: response.stderr,
      result: response.hasResult ? toCellResult(response.result) : null,
      images: response.images,
      error: response.error ?? undefined,
      durationMs: response.durationMs,
    };
  }

  /** The kernel's shell op runs bash in the kernel's working directory and environment, which it keeps between commands. */
  #shellResult(response: ShellResponse): ExecutionResult {
    if (response.stateLost) this.#stateLost.add('python');
    return shellExecutionResult(response);
  }

  async upload(name: string, data: Uint8Array): Promise<FileInfo> {
    const file = await this.#path(name);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, data);
    return this.#info(file);
  }

  async download(name: string): Promise<Uint8Array> {
    const file = await this.#existing(name);
    return new Uint8Array(await readFile(file));
  }

  async list(): Promise<FileInfo[]> {
    const dataDir = await this.#ensureDataDir();
    const entries = await readdir(dataDir, { recursive: true, withFileTypes: true });
    const files = entries.filter((entry) => entry.isFile() && !isHidden(path.relative(dataDir, path.join(entry.parentPath, entry.name))));
    return Promise.all(files.map((entry) => this.#info(path.join(entry.parentPath, entry.name))));
  }

  async delete(name: string): Promise<void> {
    await unlink(await this.#existing(name));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const started = this.#kernels.size > 0 || this.#dataDir !== undefined;
    for (const kernel of this.#kernels.values()) kernel.kill();
    if (this.#dataDir) await rm(this.#dataDir, { recursive: true, force: true });
    if (started) this.lifecycle.closed();
    this.onClose();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #ensureKernel(kind: KernelKind): Promise<KernelClient> {
    if (this.#closed) return Promise.reject(new InvalidInputError(`Session ${this.identifier} is closed; open a new session.`));
    const kernel = this.#kernels.get(kind);
    if (kernel?.alive) return Promise.resolve(kernel);
    if (kernel && !kernel.alive) this.#stateLost.add(kind);
    let starting = this.#starting.get(kind);
    if (!starting) {
      starting = this.#startKernel(kind).finally(() => this.#starting.delete(kind));
      this.#starting.set(kind, starting);
    }
    return starting;
  }

  /** Starts a kernel of `kind`; the session's first kernel reports creating → ready. */
  async #startKernel(kind: KernelKind): Promise<KernelClient> {
    const first = this.#kernels.size === 0;
    if (first) this.lifecycle.creating();
    const dataDir = kind === 'python' ? await this.#checkPython().then(() => this.#ensureDataDir()) : await this.#ensureDataDir();
    const transport = kind === 'python' ? startHostKernel({ pythonPath: this.config.pythonPath, dataDir }) : startHostJavaScriptKernel({ dataDir, nodePath: this.config.nodePath });
    const kernel = new KernelClient(transport, { outputLimitBytes: this.config.outputLimitBytes, interruptGraceMs: this.config.interruptGraceMs });
    try {
      await kernel.ping();
    } catch (error) {
      kernel.kill();
      this.lifecycle.failed((error as Error).message);
      const check = kind === 'python' ? 'Run `tidepool doctor` to check the interpreter.' : 'Check that the package\'s javascript/ folder and the acorn dependency are installed (`npm ci`).';
      throw new ConfigurationError(`The ${kind === 'python' ? 'Python' : 'JavaScript'} kernel did not start (${(error as Error).message}). ${check}`, { cause: error });
    }
    if (this.#closed) {
      // The session closed while this kernel started: neither it nor a data directory made meanwhile may outlive it.
      kernel.kill();
      if (this.#dataDir) await rm(this.#dataDir, { recursive: true, force: true });
      throw new InvalidInputError(`Session ${this.identifier} is closed; open a new session.`);
    }
    this.#kernels.set(kind, kernel);
    if (first) this.lifecycle.ready();
    return kernel;
  }

  async #checkPython(): Promise<void> {
    await access(this.config.pythonPath, constants.X_OK).catch(() => {
      throw new ConfigurationError(
        `Python interpreter not found at ${this.config.pythonPath}. Run \`tidepool doctor\` to see what is missing, or set TIDEPOOL_PYTHON to another python3.`,
      );
    });
  }

  async #ensureDataDir(): Promise<string> {
    if (this.#dataDir) return this.#dataDir;
    const safe = this.identifier.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 40);
    await mkdir(this.config.rootDir, { recursive: true });
    this.#dataDir = await realpath(await mkdtemp(path.join(this.config.rootDir, `tidepool-local-${safe}-`)));
    return this.#dataDir;
  }

  async #path(name: string): Promise<string> {
    const dataDir = await this.#ensureDataDir();
    try {
      return resolveDataPath(dataDir, name);
    } catch (error) {
      if (error instanceof DataPathError) throw new InvalidInputError(error.message);
      throw error;
    }
  }

  /** Resolves symlinks too, so a link planted by user code cannot reach outside the data directory. */
  async #existing(name: string): Promise<string> {
    const file = await this.#path(name);
    const real = await realpath(file).catch(() => {
      throw new NotFoundError(`No file "${name}" in this session's /mnt/data; call list() to see what is there.`);
    });
    if (!real.startsWith(this.#dataDir! + path.sep)) throw new InvalidInputError(`File "${name}" points outside the data directory.`);
    return real;
  }

  async #info(file: string): Promise<FileInfo> {
    const stats = await stat(file);
    return { name: path.relative(this.#dataDir!, file).split(path.sep).join('/'), sizeBytes: stats.size, lastModified: stats.mtime };
  }

  #takeNotice(kind: KernelKind): string {
    return this.#stateLost.delete(kind) ? STATE_LOST_NOTICE : '';
  }
}

/** Matplotlib's cache and similar tool state are not the user's files. */
function isHidden(relative: string): boolean {
  return relative.split(path.sep).some((segment) => segment.startsWith('.'));
}

export function defaultLocalRoot(): string {
  return os.tmpdir();
}
