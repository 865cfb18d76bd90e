/**
 * The sandbox contract: what every backend offers to tools and agents.
 * Only types live here; behaviour lives in the backends and helpers beside it.
 */
import type { KernelImage } from '../kernel/types.js';
import type { LifecycleListener } from './lifecycle.js';

/**
 * The language of one execution: `python` runs a notebook-style Python cell, `javascript` a
 * notebook-style JavaScript cell (Node.js), `shell` a bash script in the session's kept working
 * directory and environment.
 */
export type Language = 'python' | 'javascript' | 'shell';

/** The canonical backend names, as users pick them. */
export type SandboxType = 'Local' | 'Sandbox-Pool' | 'Sandbox-ACA' | 'Sandbox-E2B' | 'Sandbox-Daytona';

/**
 * An image the cell produced (a matplotlib figure left open or shown, or an explicit display):
 * `{ type: 'image', format: 'png' | 'jpeg' | 'svg', base64_data }`, the same shape on every backend.
 */
export type ImageResult = KernelImage;

/**
 * The value of a cell's last expression: JSON-native for plain data, `repr` text otherwise.
 * Backends never put an image here (a figure-valued last expression is `null`, its picture is in
 * `images`); the member stays in the union only so code that still checks for one compiles.
 */
export type CellResult = string | number | boolean | null | ImageResult;

/** What the user code raised. */
export interface ExecutionErrorInfo {
  /** Exception class name, e.g. `ZeroDivisionError`. */
  type: string;
  message: string;
  /** The formatted Python traceback (empty when there is none, e.g. a timeout). */
  traceback: string;
  /**
   * Set only when the sandbox stopped the cell for running past its per-cell timeout: that limit
   * in ms. `message` names the library option (`timeoutMs`); a front end with its own name for
   * the setting rephrases it with `describeCellTimeout(error, '--timeout-ms')`.
   */
  timeoutMs?: number;
}

export interface ExecutionResult {
  /** `success` when the cell ran to the end, `failure` when it raised or timed out. */
  status: 'success' | 'failure';
  stdout: string;
  /** What the cell wrote to stderr; a failure's traceback is in `error`, not here. */
  stderr: string;
  /**
   * Value of the last expression; `null` when there was none, or when it was a figure (or the
   * artists of one, as `plt.plot(...)` returns), whose picture is in `images`.
   */
  result: CellResult;
  /**
   * Every image the cell produced, each once and in order: explicit displays, then each matplotlib
   * figure left open when the cell ended (which are then closed), whatever the last expression was.
   */
  images: ImageResult[];
  error?: ExecutionErrorInfo;
  /**
   * Set for `shell` executions only: the command's exit status (124 when it was stopped at its
   * timeout, as timeout(1) reports it). A non-zero exit is a `failure` whose `error` names the code.
   */
  exitCode?: number;
  /** Time the sandbox spent running the cell. */
  durationMs: number;
}

export interface ExecuteOptions {
  /** What `code` is written in; default `python`. A language the backend does not offer throws UnsupportedLanguageError. */
  language?: Language;
  /** Per-cell limit; the backend's default when omitted. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface FileInfo {
  /** Path relative to the session's `/mnt/data`. */
  name: string;
  sizeBytes: number;
  lastModified: Date;
}

/**
 * One stateful session: variables, the shell's working directory and environment, and `/mnt/data`
 * files persist until it closes. Each language keeps its own state; whether languages share the
 * files depends on the backend (Sandbox-Pool runs each language in a pool of its own).
 */
export interface SandboxSession extends AsyncDisposable {
  readonly identifier: string;
  readonly sandboxType: SandboxType;
  execute(code: string, options?: ExecuteOptions): Promise<ExecutionResult>;
  upload(name: string, data: Uint8Array, options?: { signal?: AbortSignal }): Promise<FileInfo>;
  download(name: string, options?: { signal?: AbortSignal }): Promise<Uint8Array>;
  list(options?: { signal?: AbortSignal }): Promise<FileInfo[]>;
  /** Optional capability: backends that cannot delete single files leave it out. */
  delete?(name: string, options?: { signal?: AbortSignal }): Promise<void>;
  /** Ends the session and frees what it holds. Idempotent. */
  close(): Promise<void>;
}

export interface Sandbox extends AsyncDisposable {
  readonly type: SandboxType;
  /** A banner tools print before their output, e.g. `☁️ [Azure Container Apps Sandbox]`; empty for Local. */
  readonly banner: string;
  /**
   * The languages this sandbox runs, `python` first when offered. Backends that depend on what a
   * remote pool runs (Sandbox-ACA, a running Sandbox-Pool) ask it once, on the first call.
   */
  languages(options?: { signal?: AbortSignal }): Promise<readonly Language[]>;
  /** Same identifier → same state. Omitted → a new random identifier. Cheap: no I/O until first use. */
  session(identifier?: string): SandboxSession;
  /** Closes every session this sandbox opened, and anything it started (e.g. an embedded pool). */
  close(): Promise<void>;
}

/** Options every backend understands; backends add their own. */
export interface SandboxOptions {
  /** Receives lifecycle events with timings. */
  onLifecycle?: LifecycleListener;
  /** Label used in lifecycle messages, e.g. the destination a tool is researching. */
  label?: string;
  /** Default per-cell timeout. */
  defaultTimeoutMs?: number;
  /** Where environment-variable settings are read from; default `process.env`. */
  env?: Record<string, string | undefined>;
}
