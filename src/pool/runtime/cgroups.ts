/**
 * One cgroup per session, so memory (tmpfs and shared memory included), processes and CPU share
 * are limited for the session as a whole, however many processes it forks — rlimits count one
 * process at a time.
 *
 * cgroup v2 (the unified hierarchy) where it is mounted, else the v1 memory, pids and cpu
 * controllers. Needs root (or a delegated subtree); without one the pool falls back to rlimits
 * and says so.
 */
import { access, mkdir, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

const CGROUP_ROOT = '/sys/fs/cgroup';
const V1_CONTROLLERS = ['memory', 'pids', 'cpu'] as const;
const REMOVE_ATTEMPTS = 50;
const REMOVE_DELAY_MS = 100;

export interface SessionLimits {
  memoryBytes: number;
  maxProcesses: number;
}

export interface SessionCgroup {
  /** Moves a process (and so every process it forks afterwards) into the session's cgroup. */
  add(pid: number): Promise<void>;
  /** Removes the cgroup once its processes are gone. */
  remove(): Promise<void>;
}

/** The pool's cgroup subtree; `create` makes one child per session. */
export interface PoolCgroups {
  readonly version: 1 | 2;
  create(name: string, limits: SessionLimits): Promise<SessionCgroup>;
  close(): Promise<void>;
}

export async function openPoolCgroups(poolName: string): Promise<PoolCgroups | undefined> {
  try {
    if (await exists(path.join(CGROUP_ROOT, 'cgroup.controllers'))) return await openV2(poolName);
    if (await exists(path.join(CGROUP_ROOT, 'memory', 'cgroup.procs'))) return await openV1(poolName);
  } catch {
    // Not writable (not root, read-only mount): the caller falls back to rlimits.
  }
  return undefined;
}

async function openV2(poolName: string): Promise<PoolCgroups> {
  const parent = path.join(CGROUP_ROOT, 'tidepool');
  const base = path.join(parent, poolName);
  await mkdir(base, { recursive: true });
  // Controllers reach a cgroup only when every ancestor hands them down.
  for (const dir of [CGROUP_ROOT, parent, base]) await writeFile(path.join(dir, 'cgroup.subtree_control'), '+memory +pids +cpu');
  return {
    version: 2,
    async create(name, limits) {
      const dir = path.join(base, name);
      await mkdir(dir);
      await writeFile(path.join(dir, 'memory.max'), String(limits.memoryBytes));
      await writeFile(path.join(dir, 'memory.swap.max'), '0').catch(() => undefined);
      // Out of memory ends the whole session at once rather than one of its processes at random.
      await writeFile(path.join(dir, 'memory.oom.group'), '1').catch(() => undefined);
      await writeFile(path.join(dir, 'pids.max'), String(limits.maxProcesses));
      await writeFile(path.join(dir, 'cpu.weight'), '100');
      return sessionCgroup([dir]);
    },
    close: () => removeDirectory(base),
  };
}

async function openV1(poolName: string): Promise<PoolCgroups> {
  const bases = V1_CONTROLLERS.map((controller) => path.join(CGROUP_ROOT, controller, 'tidepool', poolName));
  for (const base of bases) await mkdir(base, { recursive: true });
  return {
    version: 1,
    async create(name, limits) {
      const [memory, pids, cpu] = bases.map((base) => path.join(base, name)) as [string, string, string];
      for (const dir of [memory, pids, cpu]) await mkdir(dir);
      await writeFile(path.join(memory, 'memory.limit_in_bytes'), String(limits.memoryBytes));
      // With swap accounting on, swap counts too, so a session cannot page its way past the limit.
      await writeFile(path.join(memory, 'memory.memsw.limit_in_bytes'), String(limits.memoryBytes)).catch(() => undefined);
      await writeFile(path.join(pids, 'pids.max'), String(limits.maxProcesses));
      await writeFile(path.join(cpu, 'cpu.shares'), '1024');
      return sessionCgroup([memory, pids, cpu]);
    },
    close: async () => {
      for (const base of bases) await removeDirectory(base);
    },
  };
}

function sessionCgroup(dirs: string[]): SessionCgroup {
  return {
    async add(pid) {
      for (const dir of dirs) await writeFile(path.join(dir, 'cgroup.procs'), String(pid));
    },
    async remove() {
      for (const dir of dirs) await removeDirectory(dir);
    },
  };
}

/** rmdir fails with EBUSY while a process is still leaving the cgroup: retry for a few seconds. */
async function removeDirectory(dir: string): Promise<void> {
  for (let attempt = 0; attempt < REMOVE_ATTEMPTS; attempt++) {
    try {
      await rmdir(dir);
      return;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY') throw error;
      await new Promise((resolve) => setTimeout(resolve, REMOVE_DELAY_MS));
    }
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}
