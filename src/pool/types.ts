/**
 * The seam between the pool's HTTP API (pool/http) and its session runtime (pool/runtime).
 * The HTTP layer speaks Azure's wire format; the runtime knows kernels, isolation and files.
 */
import type { Readable } from 'node:stream';
import { SandboxError } from '../errors.js';
import type { KernelResponse, ShellRequest, ShellResponse } from '../kernel/types.js';

export type IsolationMode = 'bwrap' | 'none';

/** What a pool's sessions run (one kind per pool, as in the service): Python cells, JavaScript cells or shell commands. */
export type PoolContainerType = 'python' | 'node' | 'shell';

export interface PoolSettings {
  isolation: IsolationMode;
  /** Python and NodeLTS pools answer `code` (in their language); Shell pools answer `shellCommand` / `execCommandAndArgs`. */
  containerType: PoolContainerType;
  /** `true` shares the host network with sessions; `false` gives each an empty network namespace. */
  egress: boolean;
  /** "IPv4:port" destinations a session with egress may reach although they are the host's or private. */
  egressAllow: string[];
  maxSessions: number;
  /** Sessions kept ready for new identifiers while none arrive. */
  readySessions: number;
  /** The most sessions kept ready while new identifiers keep arriving (never below readySessions). */
  maxReadySessions: number;
  cooldownSeconds: number;
  /** Memory limit per session. */
  memoryMb: number;
  /** Hard cap per execution (Azure's is 220 s); a client's timeoutInSeconds is clamped to it. */
  maxExecutionSeconds: number;
  /** Size limit of each session's /mnt/data. */
  diskMb: number;
  /** Process (pids) limit per session. */
  maxProcesses: number;
  /** Per-stream output cap per execution. */
  outputLimitBytes: number;
  pythonPath: string;
  /**
   * A file where the pool keeps (hashed) identifiers of its live sessions, so that after a restart
   * the first call on a lost session says so in its stderr. Off when unset.
   */
  sessionJournal?: string;
}

export type PoolErrorCode =
  | 'invalid_input'
  | 'not_found'
  | 'capacity'
  | 'session_lost'
  | 'too_large'
  | 'timeout'
  | 'unavailable'
  | 'internal';

/**
 * What the runtime throws; the HTTP layer maps `code` to a status and Azure's error envelope.
 * A SandboxError like every other error of the package, with the pool's narrower set of codes.
 */
export class PoolError extends SandboxError {
  declare readonly code: PoolErrorCode;

  constructor(code: PoolErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, { cause: options?.cause, isRetryable: code === 'capacity' });
  }
}

export interface PoolSessionInfo {
  identifier: string;
  createdAt: Date;
  lastAccessedAt: Date;
  expiresAt: Date;
  /** Identifies the underlying kernel instance; changes when the session is recreated. */
  etag: string;
}

export interface PoolFileInfo {
  /** Path relative to /mnt/data, `/`-separated. */
  name: string;
  type: 'file' | 'directory';
  sizeBytes: number;
  lastModified: Date;
}

/** One shell execution on a Shell pool, with what the runtime knows about the session. */
export interface ShellOutcome {
  response: ShellResponse;
  allocated: boolean;
  freshKernel: boolean;
}

export interface ExecuteOutcome {
  response: KernelResponse;
  /** This call allocated the session (first use of the identifier). */
  allocated: boolean;
  /**
   * The session's previous kernel died, so this call ran in a fresh one (the runtime already put a
   * notice in stderr). Not to be confused with `response.stateLost`: this very call's kernel was killed.
   */
  freshKernel: boolean;
}

export interface PoolMetadata {
  runtimes: { name: string; version: string }[];
  preInstalledPackages: { name: string; version: string }[];
}

export interface PoolStats {
  live: number;
  ready: number;
  maxSessions: number;
}

/**
 * Every session-scoped call allocates a session for an unknown identifier (as Azure does),
 * except getSession/deleteSession. Calls on one session run one at a time, in arrival order.
 */
export interface SessionManager {
  /** Boots the runtime (zygote, first ready sessions). */
  start(): Promise<void>;
  execute(identifier: string, code: string, options: { timeoutMs: number; signal?: AbortSignal }): Promise<ExecuteOutcome>;
  /** Shell pools: runs a command in the session's kept working directory and environment. */
  executeShell(identifier: string, request: ShellRequest, options: { timeoutMs: number; signal?: AbortSignal }): Promise<ShellOutcome>;
  /** `path` is relative to /mnt/data (already normalised by kernel/data-paths). */
  writeFile(identifier: string, path: string, data: Readable | Uint8Array): Promise<PoolFileInfo>;
  listFiles(identifier: string, options?: { directory?: string; recursive?: boolean }): Promise<PoolFileInfo[]>;
  statFile(identifier: string, path: string): Promise<PoolFileInfo>;
  readFile(identifier: string, path: string): Promise<{ info: PoolFileInfo; stream: Readable }>;
  deleteFile(identifier: string, path: string): Promise<void>;
  getSession(identifier: string): PoolSessionInfo | undefined;
  /** Ends the kernel and removes its files. False when there was no such session. */
  deleteSession(identifier: string): Promise<boolean>;
  listSessions(): PoolSessionInfo[];
  stats(): PoolStats;
  metadata(): Promise<PoolMetadata>;
  /** Ends every kernel and removes every session's files. */
  close(): Promise<void>;
}
