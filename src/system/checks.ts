/**
 * What this machine offers a sandbox, checked for real (by running the thing), with the exact
 * command that fixes each missing piece. Used by `tidepool doctor` and `tidepool setup`.
 */
import { execFile } from 'node:child_process';
import { access, readFile } from 'node:fs/promises';
import { resolvePythonPath } from '../config/python.js';

export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
  /** Needed for the default setup (Local + pool with bwrap); optional pieces only add features. */
  required: boolean;
  /** Debian packages that fix it, for `tidepool setup`. */
  aptPackages: string[];
  /** What to run (or do) when it is missing. */
  fix?: string;
}

export const SCIENTIFIC_MODULES: Record<string, string> = {
  numpy: 'python3-numpy',
  pandas: 'python3-pandas',
  matplotlib: 'python3-matplotlib',
  sklearn: 'python3-sklearn',
  requests: 'python3-requests',
  // Not for user code: the pool loads each session's seccomp filter with it, and refuses to start without it.
  seccomp: 'python3-seccomp',
};

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function run(command: string, args: string[], timeoutMs = 20_000): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: timeoutMs, encoding: 'utf8' }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      resolve({ code, stdout, stderr: stderr || (error && code === null ? error.message : '') });
    });
  });
}

function aptFix(packages: string[]): string {
  return `apt-get update && apt-get install -y ${packages.join(' ')}   (or: tidepool setup)`;
}

async function checkPython(pythonPath: string): Promise<CheckResult> {
  const result = await run(pythonPath, ['--version']);
  const ok = result.code === 0;
  return {
    name: 'python3',
    ok,
    required: true,
    detail: ok ? `${pythonPath}: ${(result.stdout || result.stderr).trim()}` : `${pythonPath} not found or not runnable`,
    aptPackages: ['python3'],
    fix: ok ? undefined : `${aptFix(['python3'])}; or set TIDEPOOL_PYTHON to a python3 that exists`,
  };
}

async function checkModules(pythonPath: string): Promise<CheckResult[]> {
  const probe = `import importlib.util, json; print(json.dumps({m: importlib.util.find_spec(m) is not None for m in ${JSON.stringify(Object.keys(SCIENTIFIC_MODULES))}}))`;
  const result = await run(pythonPath, ['-c', probe]);
  let found: Record<string, boolean> = {};
  try {
    found = JSON.parse(result.stdout) as Record<string, boolean>;
  } catch {
    // python3 itself is missing; the python3 check already says so.
  }
  return Object.entries(SCIENTIFIC_MODULES).map(([module, aptPackage]) => ({
    name: `python: ${module}`,
    ok: found[module] === true,
    required: true,
    detail: found[module] ? 'importable' : 'not importable',
    aptPackages: [aptPackage],
    fix: found[module] ? undefined : aptFix([aptPackage]),
  }));
}

async function checkBubblewrap(): Promise<CheckResult> {
  const result = await run('bwrap', ['--unshare-all', '--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', 'true']);
  const ok = result.code === 0;
  return {
    name: 'bubblewrap (pool isolation)',
    ok,
    required: true,
    detail: ok ? 'bwrap can create namespaces' : `bwrap failed: ${result.stderr.trim() || 'not installed'}`,
    aptPackages: ['bubblewrap'],
    fix: ok ? undefined : result.code === null || /ENOENT|not found/i.test(result.stderr) ? aptFix(['bubblewrap']) : 'enable unprivileged user namespaces: sysctl -w kernel.unprivileged_userns_clone=1',
  };
}

/** Egress on gives each session slirp4netns for NAT and an nftables rule set that keeps it off the host. */
async function checkEgressTools(): Promise<CheckResult> {
  const [slirp, nft] = await Promise.all([run('slirp4netns', ['--version']), run('nft', ['--version'])]);
  const missing = [...(slirp.code === 0 ? [] : ['slirp4netns']), ...(nft.code === 0 ? [] : ['nftables'])];
  return {
    name: 'slirp4netns and nftables (session egress)',
    ok: missing.length === 0,
    required: true,
    detail: missing.length === 0 ? 'installed' : `missing ${missing.join(', ')}; sessions cannot have network egress`,
    aptPackages: missing,
    fix: missing.length === 0 ? undefined : aptFix(missing),
  };
}

async function checkUserNamespaces(): Promise<CheckResult> {
  const result = await run('unshare', ['--user', '--map-root-user', 'true']);
  const ok = result.code === 0;
  return {
    name: 'user namespaces',
    ok,
    required: true,
    detail: ok ? 'available' : `unavailable: ${result.stderr.trim()}`,
    aptPackages: [],
    fix: ok ? undefined : 'sysctl -w kernel.unprivileged_userns_clone=1 (and user.max_user_namespaces > 0)',
  };
}

async function checkCgroups(): Promise<CheckResult> {
  const controllers = await readFile('/sys/fs/cgroup/cgroup.controllers', 'utf8').catch(() => '');
  const v2 = controllers.includes('memory') && controllers.includes('pids') && (await access('/sys/fs/cgroup', 2).then(() => true, () => false));
  const v1 = !v2 && (await Promise.all(['memory', 'pids', 'cpu'].map((c) => access(`/sys/fs/cgroup/${c}`, 2).then(() => true, () => false)))).every(Boolean);
  const ok = v2 || v1;
  return {
    name: 'cgroups (memory/process/CPU limits per session, v2 or v1)',
    ok,
    required: false,
    detail: ok ? (v2 ? `v2 controllers: ${controllers.trim()}` : 'v1 memory, pids and cpu controllers writable') : 'not writable here; the pool falls back to per-process rlimits',
    aptPackages: [],
    fix: ok ? undefined : 'run the pool as root or under a systemd unit with Delegate=yes',
  };
}

export async function runChecks(env: Record<string, string | undefined> = process.env): Promise<CheckResult[]> {
  const pythonPath = resolvePythonPath(undefined, env);
  const [python, modules, bwrap, egress, userns, cgroups] = await Promise.all([
    checkPython(pythonPath),
    checkModules(pythonPath),
    checkBubblewrap(),
    checkEgressTools(),
    checkUserNamespaces(),
    checkCgroups(),
  ]);
  return [python, ...modules, bwrap, egress, userns, cgroups];
}
