/**
 * What the zygote is told about each new session: namespaces, mounts, limits, environment.
 *
 * Limits (all per session, applied in the kernel before user code runs):
 * - memory: RLIMIT_AS = the preloaded interpreter's address space + memoryMb (cgroups are not
 *   writable on every host; v1 here). An allocation beyond it raises MemoryError.
 * - processes: RLIMIT_NPROC = maxProcesses. Counted per user namespace, and every session has its
 *   own, so a fork bomb stops at the session's own count; the sandbox runs as an unprivileged uid
 *   because the kernel does not enforce RLIMIT_NPROC for uid 0.
 * - disk: /mnt/data is a tmpfs of diskMb; RLIMIT_FSIZE = diskMb caps any single file.
 * - CPU: RLIMIT_CPU = 10 × maxExecutionSeconds of CPU time per process (default 2200 s). The
 *   wall-clock timeout bounds each cell; this catches processes left spinning in the background.
 */
import { MOUNT_POINT } from '../../kernel/data-paths.js';
import type { PoolSettings } from '../types.js';
import type { PoolDirectory } from './zygote-command.js';
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

export function sessionRequest(settings: PoolSettings, dir: PoolDirectory, dataDir: string): Record<string, unknown> {
  const namespaces = settings.isolation !== 'none';
  return {
    dataDir,
    namespaces,
    // Private mounts (tmpfs /mnt/data, own /proc) need user+mount namespaces: bwrap only. gVisor is a
    // kernel of its own, runs the sandbox as root, and its mount namespaces do not isolate mounts.
    mountNamespace: settings.isolation === 'bwrap',
    egress: settings.egress,
    diskMb: settings.diskMb,
    hide: namespaces ? [dir.sandboxDir] : [],
    env: sessionEnvironment(dataDir),
    limits: {
      memoryBytes: settings.memoryMb * 1024 * 1024,
      // Without a user namespace the count is the whole host uid's, server included: skip it.
      maxProcesses: namespaces ? settings.maxProcesses : undefined,
      fileSizeBytes: settings.diskMb * 1024 * 1024,
      cpuSeconds: Math.ceil(settings.maxExecutionSeconds * CPU_SECONDS_PER_EXECUTION_SECOND),
    },
  };
}
