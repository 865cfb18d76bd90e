import type { Readable, Writable } from 'node:stream';

/** An image a cell produced, as the kernel sends it (the sandbox contract's ImageResult is this type). */
export interface KernelImage {
  type: 'image';
  format: 'png' | 'jpeg' | 'svg';
  base64_data: string;
}

/** An exception as the kernel reports it. */
export interface KernelWireError {
  type: string;
  message: string;
  traceback: string;
}

export interface KernelErrorInfo extends KernelWireError {
  /** Set by the driver when it stopped the cell at its timeout: that limit in ms. */
  timeoutMs?: number;
}

/** One executed cell: what the kernel reports (read by readExecuteResponse), plus what the driver adds. */
export interface KernelResponse {
  status: 'success' | 'failure';
  stdout: string;
  stderr: string;
  /** False when the cell had no last expression to show. */
  hasResult: boolean;
  /** The last expression's value: a JSON-native scalar, its repr text, or an image. */
  result: string | number | boolean | null | KernelImage;
  /** The value's text form as a notebook shows it, when there is a value. */
  repr: string | null;
  images: KernelImage[];
  error: KernelErrorInfo | null;
  durationMs: number;
  /** Set by the driver: the cell hit its timeout. */
  timedOut?: boolean;
  /** Set by the driver: the kernel had to be killed, so the session's variables are gone. */
  stateLost?: boolean;
}

/** What a shell execution runs: a bash script, or an argument vector without a shell. */
export type ShellCommand = { command: string; argv?: undefined } | { argv: string[]; command?: undefined };

export type ShellRequest = ShellCommand & {
  /** Text written to the command's standard input (otherwise it reads /dev/null). */
  stdin?: string;
};

/** One shell execution: what the kernel reports, plus what the driver adds. */
export interface ShellResponse {
  /** The command's exit status as bash reports it (128 + N when killed by signal N). */
  exitCode: number;
  stdout: string;
  stderr: string;
  /** Set only when the host's interrupt stopped the command (or the driver, at its timeout). */
  error: KernelErrorInfo | null;
  durationMs: number;
  /** Set by the driver: the command hit its timeout (its process group was killed). */
  timedOut?: boolean;
  /** Set by the driver: the kernel had to be killed, so the session's shell state is gone. */
  stateLost?: boolean;
}

/** How a driver reaches one kernel process, wherever it runs (host subprocess or pool zygote). */
export interface KernelTransport {
  /** Requests go here. */
  readonly input: Writable;
  /** Responses come from here. */
  readonly output: Readable;
  /** Ask the running cell to stop (SIGINT). */
  interrupt(): void;
  /** End the kernel and everything it started, now. */
  kill(): void;
  /** Settles once the kernel has gone, for any reason. */
  readonly exited: Promise<KernelExit>;
  /** The tail of what the kernel printed about itself (not user output), for error messages. */
  diagnostics(): string;
}

export interface KernelExit {
  code: number | null;
  signal: string | null;
}

export interface KernelExecuteOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  outputLimitBytes?: number;
}
