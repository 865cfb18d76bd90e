/**
 * Starts the kernel as a plain host subprocess: requests on fd 3, responses on fd 4,
 * the kernel's own diagnostics on fd 2. No isolation of any kind.
 */
import { spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { pythonFile } from '../paths.js';
import type { KernelExit, KernelTransport } from './types.js';

export const KERNEL_SCRIPT = 'tidepool_kernel.py';
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
  const child = spawn(options.pythonPath, ['-I', '-u', pythonFile(KERNEL_SCRIPT), ...limits], {
    cwd: options.dataDir,
    env: kernelEnvironment(options.dataDir, options.env),
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
