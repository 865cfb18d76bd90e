/**
 * How the zygote is started for each isolation mode.
 *
 * bwrap, server running as root (the full isolation): bubblewrap makes the zygote a private,
 *   read-only view of the host (/usr, a few /etc files, no home, no /tmp, no /sys) with its own
 *   IPC, UTS and (empty) network namespaces, but leaves it in the host's user and PID namespaces:
 *   the server then sees every session's processes by their real pids and, being root, gives each
 *   session its own host uid, cgroup and network (see session-host.ts). The zygote drops root for
 *   its pool's first uid before it loads anything.
 * bwrap, unprivileged server: the same view inside a user and PID namespace of bubblewrap's;
 *   every session shares the server's uid and has no cgroup and no network.
 * none: a plain process on the host; sessions are forks with rlimits only.
 *
 * The zygote never sees the pool's host directory by path: it gets an open descriptor of it
 * (ZYGOTE_DIR_FD) and the few files it needs (/etc/passwd, /etc/group, /etc/resolv.conf) are
 * copied into its root by bubblewrap, so no host path shows in a session's /proc/self/mountinfo.
 */
import { realpath } from 'node:fs/promises';
import { BASE_PYTHON_ENVIRONMENT } from '../../kernel/host-process.js';
import { PYTHON_DIR } from '../../paths.js';
import type { PoolSettings } from '../types.js';
import { nodeBinds } from './node-kernel.js';
import type { PoolDirectory } from './pool-directory.js';

/** The descriptor numbers the zygote inherits: control in, control out, the pool directory. */
export const CONTROL_IN_FD = 3;
export const CONTROL_OUT_FD = 4;
export const ZYGOTE_DIR_FD = 5;
/** First of the descriptors bubblewrap copies files from (--file FD DEST). */
const FIRST_FILE_FD = 6;
/** Where the package's Python files appear inside the sandbox. */
export const SANDBOX_PYTHON_DIR = '/run/tidepool/python';
/** The pool directory as the zygote reaches it: through its inherited descriptor. */
export const ZYGOTE_DIR = `/proc/self/fd/${ZYGOTE_DIR_FD}`;
const ZYGOTE_MPLCONFIG = '/tmp/matplotlib';
/** slirp4netns's DNS forwarder, the only resolver a session with egress can use. */
export const SESSION_NAMESERVER = '10.0.2.3';

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
  '/etc/hosts',
  '/etc/nsswitch.conf',
  '/etc/host.conf',
  '/etc/gai.conf',
];

export interface ZygoteCommand {
  command: string;
  args: string[];
  env: Record<string, string>;
  /** Files to hand bubblewrap on descriptors FIRST_FILE_FD, FIRST_FILE_FD + 1, ... in this order. */
  files: string[];
}

/** Sessions see a minimal account database, not the host's. */
function sandboxFiles(): { target: string; content: string }[] {
  return [
    { target: '/etc/passwd', content: 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' },
    { target: '/etc/group', content: 'root:x:0:\nnogroup:x:65534:\n' },
    { target: '/etc/resolv.conf', content: `nameserver ${SESSION_NAMESERVER}\n` },
  ];
}

/** The environment of the zygote; sessions get their own (sessionEnvironment). */
export function zygoteEnvironment(): Record<string, string> {
  return {
    ...BASE_PYTHON_ENVIRONMENT,
    HOME: '/root',
    // On the zygote's own tmpfs (sessions mount another /tmp over it).
    MPLCONFIGDIR: ZYGOTE_MPLCONFIG,
    XDG_CACHE_HOME: ZYGOTE_MPLCONFIG,
    // BLAS thread pools started before fork do not survive it; one thread per session on a small box.
    OPENBLAS_NUM_THREADS: '1',
    OMP_NUM_THREADS: '1',
    MKL_NUM_THREADS: '1',
  };
}

export async function zygoteCommand(settings: PoolSettings, dir: PoolDirectory): Promise<ZygoteCommand> {
  const env = zygoteEnvironment();
  const configPath = `${ZYGOTE_DIR}/zygote.json`;
  if (settings.isolation === 'none') {
    const hostEnv = { ...env, MPLCONFIGDIR: `${dir.hostDir}/mplconfig`, XDG_CACHE_HOME: `${dir.hostDir}/mplconfig` };
    return { command: settings.pythonPath, args: ['-I', '-B', '-u', `${PYTHON_DIR}/tidepool_zygote.py`, configPath], env: hostEnv, files: [] };
  }
  const files = sandboxFiles();
  const namespaces = dir.uids
    ? ['--unshare-ipc', '--unshare-uts', '--unshare-net', '--unshare-cgroup-try']
    : ['--unshare-user', '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-net', '--unshare-cgroup-try'];
  const args = [
    ...namespaces,
    '--die-with-parent',
    '--new-session',
    '--clearenv',
    ...Object.entries(env).flatMap(([name, value]) => ['--setenv', name, value]),
    // Directories bubblewrap makes are root's and private unless told otherwise; sessions run as other uids.
    ...['/etc', '/run', '/run/tidepool', '/mnt', '/mnt/data', '/root'].flatMap((dir) => ['--perms', '0755', '--dir', dir]),
    '--ro-bind', '/usr', '/usr',
    ...(await mergedUsrLinks()),
    ...(await pythonBinds(settings.pythonPath)),
    ...(await nodeBinds(settings)),
    ...ETC_BINDS.flatMap((target) => ['--ro-bind-try', target, target]),
    ...files.flatMap((file, index) => ['--file', String(FIRST_FILE_FD + index), file.target]),
    '--ro-bind', PYTHON_DIR, SANDBOX_PYTHON_DIR,
    // As root, the host's own /proc, uncovered: bubblewrap's --proc would bind read-only covers over
    // parts of it, and a proc mount with covered parts forbids sessions from mounting their own.
    ...(dir.uids ? ['--bind', '/proc', '/proc'] : ['--proc', '/proc']),
    '--dev', '/dev',
    '--tmpfs', '/tmp',
    '--perms', '0777', '--dir', ZYGOTE_MPLCONFIG,
    '--remount-ro', '/',
    '--chdir', '/',
    settings.pythonPath, '-I', '-B', '-u', `${SANDBOX_PYTHON_DIR}/tidepool_zygote.py`, configPath,
  ];
  return { command: 'bwrap', args, env, files: files.map((file) => file.content) };
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
  const prefix = real.split('/').slice(0, -2).join('/');
  return ['--ro-bind', prefix, prefix];
}
