/**
 * Starts a kernel (Python, or JavaScript on Node.js) as a plain host subprocess: requests on fd 3,
 * responses on fd 4, the kernel's own diagnostics on fd 2. No isolation of any kind.
 */
import { spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import path from 'node:path';
import { JAVASCRIPT_DIR, pythonFile } from '../paths.js';
import type { KernelExit, KernelTransport } from './types.js';

export const KERNEL_SCRIPT = 'tidepool_kernel.py';
export const JAVASCRIPT_KERNEL_SCRIPT = 'tidepool_kernel.cjs';
const DIAGNOSTICS_LIMIT = 8 * 1024;

export interface HostProcessOptions {
  pythonPath: string;
  /** The session's working directory, exported to code as TIDEPOOL_DATA_DIR. */
  dataDir: string;
  /** Extra environment for the kernel; the server's own environment is never passed on. */
  env?: Record<string, string>;
  /** The kernel's cap on a result's text (--result-limit-bytes; default 1 MiB). Give the KernelClient the same. */
  resultLimitBytes?: number;
}

/** What any kernel process needs to run Python and matplotlib headless; none of the server's variables. */
export const BASE_PYTHON_ENVIRONMENT: Readonly<Record<string, string>> = {
  PATH: '/usr/local/bin:/usr/bin:/bin',
  LANG: 'C.UTF-8',
  LC_ALL: 'C.UTF-8',
  PYTHONDONTWRITEBYTECODE: '1',
  MPLBACKEND: 'Agg',
};

/** The environment every host kernel gets: the base plus its own home, data dir and matplotlib cache. */
function kernelEnvironment(dataDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...BASE_PYTHON_ENVIRONMENT,
    HOME: dataDir,
    PYTHONIOENCODING: 'utf-8',
    MPLCONFIGDIR: `${dataDir}/.config/matplotlib`,
    TIDEPOOL_DATA_DIR: dataDir,
    ...extra,
  };
}

export function startHostKernel(options: HostProcessOptions): KernelTransport & { pid: number | undefined } {
  const limits = options.resultLimitBytes !== undefined ? ['--result-limit-bytes', String(options.resultLimitBytes)] : [];
  // Never with the kernel's killing of leftover processes: outside a session's PID namespace, they are the host's.
  return hostKernelProcess(options.pythonPath, ['-I', '-u', pythonFile(KERNEL_SCRIPT), ...limits], kernelEnvironment(options.dataDir, options.env), options.dataDir);
}

export interface HostJavaScriptOptions {
  /** The session's working directory, exported to code as TIDEPOOL_DATA_DIR (shared with its Python kernel). */
  dataDir: string;
  /** The Node.js binary; default the one running Tidepool. */
  nodePath?: string;
}

/** Starts the JavaScript kernel (javascript/tidepool_kernel.cjs) as a plain host subprocess, on the same descriptors as the Python one. */
export function startHostJavaScriptKernel(options: HostJavaScriptOptions): KernelTransport & { pid: number | undefined } {
  const env = { PATH: BASE_PYTHON_ENVIRONMENT.PATH!, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', HOME: options.dataDir, TIDEPOOL_DATA_DIR: options.dataDir };
  return hostKernelProcess(options.nodePath ?? process.execPath, [path.join(JAVASCRIPT_DIR, JAVASCRIPT_KERNEL_SCRIPT), '3', '4'], env, options.dataDir);
}

/** Requests on fd 3, responses on fd 4, diagnostics on fd 2; user output goes to the kernel's own pipes, never here. */
function hostKernelProcess(command: string, args: string[], env: Record<string, string>, cwd: string): KernelTransport & { pid: number | undefined } {
  const child = spawn(command, args, {
    cwd,
    env,
    stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'],
    // Its own process group, so a kill also ends whatever the user's code started.
    detached: true,
  });
  let diagnostics = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    diagnostics = (diagnostics + chunk.toString('utf8')).slice(-DIAGNOSTICS_LIMIT);
  });
  const exited = new Promise<KernelExit>((resolve) => {
    child.once('error', (error) => {
      diagnostics += error.message;
      resolve({ code: null, signal: null });
    });
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const signalGroup = (signal: NodeJS.Signals, wholeGroup: boolean) => {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(wholeGroup ? -child.pid : child.pid, signal);
    } catch {
      // Already gone.
    }
  };
  return {
    pid: child.pid,
    input: child.stdio[3] as Writable,
    output: child.stdio[4] as Readable,
    interrupt: () => signalGroup('SIGINT', false),
    kill: () => signalGroup('SIGKILL', true),
    exited,
    diagnostics: () => diagnostics,
  };
}
