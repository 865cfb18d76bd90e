/**
 * What the zygote is told about each new session: namespaces, mounts, limits, environment.
 *
 * Limits (all per session):
 * - memory: with a cgroup (server running as root), the session's cgroup holds every process,
 *   tmpfs page and shared-memory page of the session to memoryMb. Without one, RLIMIT_AS = the
 *   preloaded interpreter's address space + memoryMb, per process (an allocation beyond it raises
 *   MemoryError).
 * - processes: the cgroup's pids.max and RLIMIT_NPROC = maxProcesses. RLIMIT_NPROC counts per
 *   host uid: as root every session has its own uid; otherwise all share the sandbox's.
 * - disk: /mnt/data is a tmpfs of diskMb; RLIMIT_FSIZE = diskMb caps any single file.
 * - CPU: RLIMIT_CPU = 10 × maxExecutionSeconds of CPU time per process (default 2200 s). The
 *   wall-clock timeout bounds each cell; this catches processes left spinning in the background.
 */
import { MOUNT_POINT } from '../../kernel/data-paths.js';
import type { PoolSettings } from '../types.js';
import { hostNodePath, SANDBOX_NODE_DIR } from './node-kernel.js';
import { SANDBOX_PYTHON_DIR } from './zygote-command.js';
import path from 'node:path';

export const CPU_SECONDS_PER_EXECUTION_SECOND = 10;

/** The environment user code sees: enough to run Python and matplotlib, nothing of the server's. */
export function sessionEnvironment(dataDir: string): Record<string, string> {
  return {
    PATH: '/usr/local/bin:/usr/bin:/bin',
    HOME: dataDir === MOUNT_POINT ? '/root' : dataDir,
    LANG: 'C.UTF-8',
    LC_ALL: 'C.UTF-8',
    PYTHONIOENCODING: 'utf-8',
    PYTHONDONTWRITEBYTECODE: '1',
    PYTHONUNBUFFERED: '1',
    MPLBACKEND: 'Agg',
    MPLCONFIGDIR: dataDir === MOUNT_POINT ? '/tmp/matplotlib' : path.join(dataDir, '.config', 'matplotlib'),
    OPENBLAS_NUM_THREADS: '1',
    OMP_NUM_THREADS: '1',
    TIDEPOOL_DATA_DIR: dataDir,
  };
}

/** A NodeLTS session's environment: no Python settings, and the sessions' `node` first on PATH. */
function nodeSessionEnvironment(dataDir: string, sandboxed: boolean): Record<string, string> {
  const env = sessionEnvironment(dataDir);
  const keep = ['HOME', 'LANG', 'LC_ALL', 'TIDEPOOL_DATA_DIR'].map((name) => [name, env[name]!] as const);
  return { ...Object.fromEntries(keep), PATH: `${sandboxed ? SANDBOX_NODE_DIR : path.dirname(hostNodePath())}:${env.PATH}` };
}

export interface SessionRequestContext {
  /** The server maps each session's uid and sets up its cgroup and network (root only). */
  hostIds: boolean;
  /** A memory cgroup limits the session, so no RLIMIT_AS. */
  memoryCgroup: boolean;
  /** IPv4 destinations refused to a session with egress. */
  blockedAddresses: string[];
}

export function sessionRequest(settings: PoolSettings, context: SessionRequestContext, dataDir: string): Record<string, unknown> {
  const namespaces = settings.isolation !== 'none';
  return {
    dataDir,
    namespaces,
    hostIds: context.hostIds,
    egress: settings.egress,
    blockedAddresses: context.blockedAddresses,
    allowedDestinations: settings.egressAllow.map((entry) => {
      const [address, port] = entry.split(':');
      return { address, port: Number(port) };
    }),
    diskMb: settings.diskMb,
    hide: namespaces ? [SANDBOX_PYTHON_DIR] : [],
    env: settings.containerType === 'node' ? nodeSessionEnvironment(dataDir, namespaces) : sessionEnvironment(dataDir),
    limits: {
      memoryBytes: context.memoryCgroup ? undefined : settings.memoryMb * 1024 * 1024,
      // Without a user namespace the count is the whole host uid's, server included: skip it.
      maxProcesses: namespaces ? settings.maxProcesses : undefined,
      fileSizeBytes: settings.diskMb * 1024 * 1024,
      cpuSeconds: Math.ceil(settings.maxExecutionSeconds * CPU_SECONDS_PER_EXECUTION_SECOND),
    },
  };
}
