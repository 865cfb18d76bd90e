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
  /**
   * When `tidepool setup` installs them: always, only with --with-browser (Chromium is large), or
   * never (the user decides: nginx, for instance, starts a system web server when installed).
   */
  setup: 'default' | 'with-browser' | 'manual';
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

/** Not needed by sessions, but by features the README describes: `npm run bench` compares with a Jupyter kernel. */
export const BENCH_MODULES: Record<string, string> = {
  jupyter_client: 'python3-jupyter-client',
  ipykernel: 'python3-ipykernel',
};

/** Fonts the web UI and charts need to show text and the emoji of lifecycle lines and weather reports. */
export const FONTS: { file: string; aptPackage: string }[] = [
  { file: '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf', aptPackage: 'fonts-dejavu-core' },
  { file: '/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf', aptPackage: 'fonts-noto-color-emoji' },
];

/** The browser the web UI's tests drive (playwright-core with Debian's Chromium). */
export const CHROMIUM_PATH = '/usr/bin/chromium';

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

function aptFix(packages: string[], setupCommand = 'npx tidepool setup'): string {
  return `apt-get update && apt-get install -y ${packages.join(' ')}   (or: ${setupCommand})`;
}

const isRoot = () => process.getuid?.() === 0;

async function checkPython(pythonPath: string): Promise<CheckResult> {
  const result = await run(pythonPath, ['--version']);
  const ok = result.code === 0;
  return {
    name: 'python3',
    ok,
    required: true,
    detail: ok ? `${pythonPath}: ${(result.stdout || result.stderr).trim()}` : `${pythonPath} not found or not runnable`,
    aptPackages: ['python3'],
    setup: 'default',
    fix: ok ? undefined : `${aptFix(['python3'])}; or set TIDEPOOL_PYTHON to a python3 that exists`,
  };
}

async function checkModules(pythonPath: string): Promise<CheckResult[]> {
  const modules = [...Object.keys(SCIENTIFIC_MODULES), ...Object.keys(BENCH_MODULES)];
  const probe = `import importlib.util, json; print(json.dumps({m: importlib.util.find_spec(m) is not None for m in ${JSON.stringify(modules)}}))`;
  const result = await run(pythonPath, ['-c', probe]);
  let found: Record<string, boolean> = {};
  try {
    found = JSON.parse(result.stdout) as Record<string, boolean>;
  } catch {
    // python3 itself is missing; the python3 check already says so.
  }
  const check = (module: string, aptPackage: string, required: boolean, purpose = ''): CheckResult => ({
    name: `python: ${module}${purpose}`,
    ok: found[module] === true,
    required,
    detail: found[module] ? 'importable' : 'not importable',
    aptPackages: [aptPackage],
    setup: 'default',
    fix: found[module] ? undefined : aptFix([aptPackage]),
  });
  return [
    ...Object.entries(SCIENTIFIC_MODULES).map(([module, aptPackage]) => check(module, aptPackage, true)),
    ...Object.entries(BENCH_MODULES).map(([module, aptPackage]) => check(module, aptPackage, false, ' (the Jupyter peer of `npm run bench`)')),
  ];
}

async function checkFonts(): Promise<CheckResult> {
  const missing: string[] = [];
  for (const font of FONTS) if (!(await access(font.file).then(() => true, () => false))) missing.push(font.aptPackage);
  return {
    name: 'fonts (web UI and charts: text and emoji)',
    ok: missing.length === 0,
    required: false,
    detail: missing.length === 0 ? 'DejaVu and Noto Color Emoji installed' : `missing ${missing.join(', ')}; charts and screenshots show empty boxes for some characters`,
    aptPackages: missing,
    setup: 'default',
    fix: missing.length === 0 ? undefined : aptFix(missing),
  };
}

async function checkChromium(): Promise<CheckResult> {
  const ok = await access(CHROMIUM_PATH).then(() => true, () => false);
  return {
    name: 'chromium (browser tests of the web UI)',
    ok,
    required: false,
    detail: ok ? `${CHROMIUM_PATH} installed` : `${CHROMIUM_PATH} missing; the browser tests are skipped`,
    aptPackages: ['chromium'],
    setup: 'with-browser',
    fix: ok ? undefined : aptFix(['chromium'], 'npx tidepool setup --with-browser'),
  };
}

export const NGINX_PATH = '/usr/sbin/nginx';

async function checkNginx(): Promise<CheckResult> {
  const ok = await access(NGINX_PATH).then(() => true, () => false);
  return {
    name: 'nginx (scale-out tests and the nginx-hop benchmark)',
    ok,
    required: false,
    detail: ok ? `${NGINX_PATH} installed` : `${NGINX_PATH} missing; the scale-out tests are skipped`,
    aptPackages: ['nginx'],
    setup: 'manual',
    fix: ok ? undefined : 'apt-get update && apt-get install -y nginx   (Debian also starts it as a system service on port 80; `systemctl disable --now nginx` stops that: the tests run their own)',
  };
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
    setup: 'default',
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
    setup: 'default',
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
    setup: 'default',
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
    setup: 'default',
    fix: ok ? undefined : cgroupFix(),
  };
}

/** Root that still cannot write cgroups is inside a container (or a host) that does not hand them over. */
export function cgroupFix(root = isRoot()): string {
  if (!root) return 'run the pool as root (e.g. sudo), or under a systemd unit with Delegate=yes';
  return (
    'this runs as root, yet /sys/fs/cgroup is not writable: the container or machine does not delegate cgroups. ' +
    'Give the container a writable cgroup (e.g. docker run --cgroupns=private with a read-write /sys/fs/cgroup), or on a host mount cgroup2 at /sys/fs/cgroup'
  );
}

export async function runChecks(env: Record<string, string | undefined> = process.env): Promise<CheckResult[]> {
  const pythonPath = resolvePythonPath(undefined, env);
  const [python, modules, bwrap, egress, userns, cgroups, fonts, chromium, nginx] = await Promise.all([
    checkPython(pythonPath),
    checkModules(pythonPath),
    checkBubblewrap(),
    checkEgressTools(),
    checkUserNamespaces(),
    checkCgroups(),
    checkFonts(),
    checkChromium(),
    checkNginx(),
  ]);
  return [python, ...modules, bwrap, egress, userns, cgroups, fonts, chromium, nginx];
}
