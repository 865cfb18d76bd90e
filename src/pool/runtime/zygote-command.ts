/**
 * How the zygote is started for each isolation mode, and the host directory it works in.
 *
 * bwrap: one bubblewrap sandbox around the zygote (read-only /usr, a few /etc files, no host
 *   home or /tmp), run as an unprivileged uid when the server is root so that RLIMIT_NPROC is
 *   enforced (the kernel exempts uid 0). Each session adds its own namespaces inside.
 * gvisor: the same zygote under `runsc do` (a user-space kernel between the session and the
 *   host); the zygote confines its own filesystem view before preloading.
 * none: a plain process on the host; sessions are forks with rlimits only.
 */
import { chmod, chown, copyFile, mkdir, mkdtemp, realpath, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BASE_PYTHON_ENVIRONMENT } from '../../kernel/host-process.js';
import { pythonFile } from '../../paths.js';
import type { PoolSettings } from '../types.js';

/** Where the pool directory appears inside the sandbox. */
export const SANDBOX_POOL_DIR = '/run/tidepool';
/** Unprivileged uid/gid the sandbox runs as when the server runs as root ("nobody"). */
export const SANDBOX_UID = 65534;

const PYTHON_FILES = ['tidepool_kernel.py', 'tidepool_zygote.py', 'tidepool_pool_files.py'];

/** Read-only host paths a Debian Python with the scientific stack needs (only those that exist). */
const ETC_BINDS = [
  '/etc/alternatives', // BLAS/LAPACK symlinks
  '/etc/ld.so.cache',
  '/etc/fonts',
  '/etc/matplotlibrc',
  '/etc/python3',
  '/etc/python3.11',
  '/etc/localtime',
  '/etc/mime.types',
  '/etc/ssl',
  '/etc/ca-certificates',
  '/etc/resolv.conf',
  '/etc/hosts',
  '/etc/nsswitch.conf',
  '/etc/host.conf',
  '/etc/gai.conf',
];

export interface PoolDirectory {
  /** Host path of the pool's private directory. */
  hostDir: string;
  /** The same directory as the zygote sees it. */
  sandboxDir: string;
  socketHostPath: string;
  socketSandboxPath: string;
  /** uid/gid to run the sandbox as, when we can choose. */
  owner?: { uid: number; gid: number };
}

export interface ZygoteCommand {
  command: string;
  args: string[];
  env: Record<string, string>;
  uid?: number;
  gid?: number;
  /** The control channel is on stdin/stdout (runsc passes nothing else through) instead of fds 3/4. */
  controlOnStdio?: boolean;
}

export async function preparePoolDirectory(settings: PoolSettings): Promise<PoolDirectory> {
  const hostDir = await mkdtemp(path.join(os.tmpdir(), 'tidepool-pool-'));
  const isRoot = process.getuid?.() === 0;
  const owner = settings.isolation === 'bwrap' && isRoot ? { uid: SANDBOX_UID, gid: SANDBOX_UID } : undefined;
  await mkdir(path.join(hostDir, 'python'));
  await mkdir(path.join(hostDir, 'mplconfig'));
  await mkdir(path.join(hostDir, 'sessions'));
  for (const file of PYTHON_FILES) await copyFile(pythonFile(file), path.join(hostDir, 'python', file));
  // Sessions see a minimal account database, not the host's.
  await writeFile(path.join(hostDir, 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n');
  await writeFile(path.join(hostDir, 'group'), 'root:x:0:\nnogroup:x:65534:\n');
  if (owner) {
    for (const entry of ['', 'python', 'mplconfig', 'sessions', 'passwd', 'group', ...PYTHON_FILES.map((f) => `python/${f}`)]) {
      await chown(path.join(hostDir, entry), owner.uid, owner.gid);
    }
  }
  await chmod(hostDir, 0o700);
  // bwrap binds the directory at a fixed place; runsc do and none see the host path itself.
  const sandboxDir = settings.isolation === 'bwrap' ? SANDBOX_POOL_DIR : hostDir;
  return {
    hostDir,
    sandboxDir,
    socketHostPath: path.join(hostDir, 'pool.sock'),
    socketSandboxPath: path.join(sandboxDir, 'pool.sock'),
    ...(owner ? { owner } : {}),
  };
}

/** The environment of the zygote; sessions get their own (sessionEnvironment). */
export function zygoteEnvironment(dir: PoolDirectory): Record<string, string> {
  return {
    ...BASE_PYTHON_ENVIRONMENT,
    HOME: '/root',
    MPLCONFIGDIR: path.join(dir.sandboxDir, 'mplconfig'),
    XDG_CACHE_HOME: path.join(dir.sandboxDir, 'mplconfig'),
    // BLAS thread pools started before fork do not survive it; one thread per session on a small box.
    OPENBLAS_NUM_THREADS: '1',
    OMP_NUM_THREADS: '1',
    MKL_NUM_THREADS: '1',
  };
}

export async function zygoteCommand(settings: PoolSettings, dir: PoolDirectory, config: Record<string, unknown>): Promise<ZygoteCommand> {
  const env = zygoteEnvironment(dir);
  const zygoteConfig = JSON.stringify({ ...config, controlOnStdio: settings.isolation === 'gvisor' });
  const python = [settings.pythonPath, '-I', '-B', '-u', path.join(dir.sandboxDir, 'python', 'tidepool_zygote.py'), zygoteConfig];
  if (settings.isolation === 'none') return { command: python[0]!, args: python.slice(1), env };
  if (settings.isolation === 'gvisor') {
    const args = ['--network', settings.egress ? 'host' : 'none', '--host-uds', 'open', 'do', '-quiet', '-cwd', '/', ...python];
    return { command: 'runsc', args, env, controlOnStdio: true };
  }
  const args = [
    '--unshare-user',
    '--unshare-pid',
    '--unshare-ipc',
    '--unshare-uts',
    '--unshare-cgroup-try',
    ...(settings.egress ? [] : ['--unshare-net']),
    '--die-with-parent',
    '--new-session',
    '--clearenv',
    ...Object.entries(env).flatMap(([name, value]) => ['--setenv', name, value]),
    '--ro-bind', '/usr', '/usr',
    ...(await mergedUsrLinks()),
    ...(await pythonBinds(settings.pythonPath)),
    ...ETC_BINDS.flatMap((target) => ['--ro-bind-try', target, target]),
    '--ro-bind', path.join(dir.hostDir, 'passwd'), '/etc/passwd',
    '--ro-bind', path.join(dir.hostDir, 'group'), '/etc/group',
    '--proc', '/proc',
    '--dev', '/dev',
    '--tmpfs', '/tmp',
    '--dir', '/mnt/data',
    '--dir', '/root',
    '--bind', dir.hostDir, SANDBOX_POOL_DIR,
    '--remount-ro', '/',
    '--chdir', '/',
    ...python,
  ];
  return { command: 'bwrap', args, env, ...(dir.owner ? { uid: dir.owner.uid, gid: dir.owner.gid } : {}) };
}

/** Debian links /bin, /lib, /lib64 and /sbin into /usr; mirror whichever are links. */
async function mergedUsrLinks(): Promise<string[]> {
  const args: string[] = [];
  for (const name of ['/bin', '/sbin', '/lib', '/lib64', '/lib32', '/libx32']) {
    try {
      const target = await realpath(name);
      if (target.startsWith('/usr/')) args.push('--symlink', target.slice(1), name);
      else args.push('--ro-bind', name, name);
    } catch {
      // Not present on this system.
    }
  }
  return args;
}

/** An interpreter outside /usr (e.g. /opt/python) is bound read-only at the same place. */
async function pythonBinds(pythonPath: string): Promise<string[]> {
  const real = await realpath(pythonPath);
  if (real.startsWith('/usr/')) return [];
  const prefix = path.dirname(path.dirname(real));
  return ['--ro-bind', prefix, prefix];
}
