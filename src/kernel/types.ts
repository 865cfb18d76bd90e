import type { Readable, Writable } from 'node:stream';

export interface KernelImage {
  type: 'image';
  format: 'png' | 'jpeg' | 'svg';
  base64_data: string;
}

export interface KernelErrorInfo {
  type: string;
  message: string;
  traceback: string;
  /** Set by the driver when it stopped the cell at its timeout: that limit in ms. */
  timeoutMs?: number;
}

/** One executed cell, as the kernel reports it (plus what the driver adds). */
export interface KernelResponse {
  status: 'success' | 'failure';
  stdout: string;
  stderr: string;
  /** False when the cell had no last expression to show. */
  hasResult: boolean;
  /** JSON-native scalar, repr text, or an image. */
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
