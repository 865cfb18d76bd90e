import type { Readable, Writable } from 'node:stream';
import type { z } from 'zod';
import type { executeResponseSchema, imageSchema, shellResponseSchema } from './protocol.js';

type WireResponse = z.infer<typeof executeResponseSchema>;

/** An image a cell produced, as the kernel sends it (the sandbox contract's ImageResult is this type). */
export type KernelImage = z.infer<typeof imageSchema>;

export type KernelErrorInfo = NonNullable<WireResponse['error']> & {
  /** Set by the driver when it stopped the cell at its timeout: that limit in ms. */
  timeoutMs?: number;
};

/** One executed cell: what the kernel reports (its schema is executeResponseSchema), plus what the driver adds. */
export interface KernelResponse extends Omit<WireResponse, 'id' | 'error'> {
  error: KernelErrorInfo | null;
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
export interface ShellResponse extends Omit<z.infer<typeof shellResponseSchema>, 'id' | 'error'> {
  error: KernelErrorInfo | null;
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
