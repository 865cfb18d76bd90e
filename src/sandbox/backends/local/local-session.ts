import { access, constants, mkdtemp, readdir, readFile, realpath, rm, stat, unlink, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DataPathError, resolveDataPath } from '../../../kernel/data-paths.js';
import { KernelDiedError } from '../../../kernel/errors.js';
import { startHostKernel } from '../../../kernel/host-process.js';
import { KernelClient } from '../../../kernel/kernel-client.js';
import type { KernelResponse, ShellResponse } from '../../../kernel/types.js';
import { ConfigurationError, InvalidInputError, NotFoundError, SessionLostError } from '../../../errors.js';
import { shellExecutionResult, toCellResult, validateCode, validateExecuteOptions } from '../../execution.js';
import { requireLanguage } from '../../languages.js';
import { SessionLifecycle } from '../../lifecycle.js';
import type { ExecuteOptions, ExecutionResult, FileInfo, Language, SandboxSession } from '../../types.js';

/** The host kernel runs Python cells and, through its shell op, bash. */
export const LOCAL_LANGUAGES: readonly Language[] = ['python', 'shell'];

export interface LocalSessionConfig {
  pythonPath: string;
  defaultTimeoutMs: number;
  outputLimitBytes: number;
  interruptGraceMs?: number;
  /** Where per-session data directories are created. */
  rootDir: string;
}

const STATE_LOST_NOTICE =
  "[tidepool] This session's previous kernel stopped, so its variables were lost; a fresh kernel was started (files in the data directory were kept).\n";

/** A host subprocess kernel plus a temporary data directory. Started on first use. */
export class LocalSession implements SandboxSession {
  readonly sandboxType = 'Local' as const;
  #kernel: KernelClient | undefined;
  #dataDir: string | undefined;
  #starting: Promise<KernelClient> | undefined;
  #closed = false;
  #stateLost = false;

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
    const kernel = await this.#ensureKernel();
    const notice = this.#takeNotice();
    this.lifecycle.executing();
    let result: ExecutionResult;
    try {
      const run = { timeoutMs, signal, outputLimitBytes: this.config.outputLimitBytes };
      result = language === 'shell' ? this.#shellResult(await kernel.shell({ command: code }, run)) : this.#cellResult(await kernel.execute(code, run));
    } catch (error) {
      this.lifecycle.failed(error instanceof Error ? error.message : String(error));
      if (error instanceof KernelDiedError) {
        this.#markLost();
        throw new SessionLostError(`${error.message}. The session's variables were lost; run the code again to start a fresh kernel.`, { cause: error });
      }
      throw error;
    }
    if (result.status === 'success') this.lifecycle.finished();
    else this.lifecycle.failed(result.error ? `${result.error.type}: ${result.error.message}` : 'failure');
    return { ...result, stderr: notice + result.stderr };
  }

  #cellResult(response: KernelResponse): ExecutionResult {
    if (response.stateLost) this.#markLost();
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
    if (response.stateLost) this.#markLost();
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
    const started = this.#kernel !== undefined || this.#dataDir !== undefined;
    this.#kernel?.kill();
    if (this.#dataDir) await rm(this.#dataDir, { recursive: true, force: true });
    if (started) this.lifecycle.closed();
    this.onClose();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #ensureKernel(): Promise<KernelClient> {
    if (this.#closed) return Promise.reject(new InvalidInputError(`Session ${this.identifier} is closed; open a new session.`));
    if (this.#kernel?.alive) return Promise.resolve(this.#kernel);
    if (this.#kernel && !this.#kernel.alive) this.#markLost();
    this.#starting ??= this.#startKernel().finally(() => {
      this.#starting = undefined;
    });
    return this.#starting;
  }

  async #startKernel(): Promise<KernelClient> {
    const first = this.#kernel === undefined;
    if (first) this.lifecycle.creating();
    await access(this.config.pythonPath, constants.X_OK).catch(() => {
      throw new ConfigurationError(
        `Python interpreter not found at ${this.config.pythonPath}. Run \`tidepool doctor\` to see what is missing, or set TIDEPOOL_PYTHON to another python3.`,
      );
    });
    const dataDir = await this.#ensureDataDir();
    const kernel = new KernelClient(startHostKernel({ pythonPath: this.config.pythonPath, dataDir }), {
      outputLimitBytes: this.config.outputLimitBytes,
      interruptGraceMs: this.config.interruptGraceMs,
    });
    try {
      await kernel.ping();
    } catch (error) {
      kernel.kill();
      this.lifecycle.failed((error as Error).message);
      throw new ConfigurationError(
        `The Python kernel did not start (${(error as Error).message}). Run \`tidepool doctor\` to check the interpreter.`,
        { cause: error },
      );
    }
    this.#kernel = kernel;
    if (first) this.lifecycle.ready();
    return kernel;
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

  #markLost(): void {
    this.#stateLost = true;
  }

  #takeNotice(): string {
    if (!this.#stateLost) return '';
    this.#stateLost = false;
    return STATE_LOST_NOTICE;
  }
}

/** Matplotlib's cache and similar tool state are not the user's files. */
function isHidden(relative: string): boolean {
  return relative.split(path.sep).some((segment) => segment.startsWith('.'));
}

export function defaultLocalRoot(): string {
  return os.tmpdir();
}
