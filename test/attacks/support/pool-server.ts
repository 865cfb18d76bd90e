/**
 * A real `tidepool pool serve` process for attacks, started the way an operator starts it, with
 * canaries planted around it: a random secret in its environment and a file with a random name
 * and random content in its (temporary) home directory. Its temporary directory (TMPDIR) is
 * private to the run, so the pool's host directory can be found and inspected.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CLI_ENTRY, REPO_ROOT } from './build.js';
import { killOnExit, startServedProcess } from '../../support/pool-serve-process.js';
import { unixSocketPaths } from './host-proc.js';

export const CANARY_ENV = 'TIDEPOOL_ATTACK_CANARY';

export interface Canary {
  /** Parent of the server's HOME and TMPDIR; removed by dispose(). */
  root: string;
  home: string;
  tmp: string;
  envSecret: string;
  homeFileName: string;
  homeFilePath: string;
  homeFileContent: string;
  /** Strings that must never reach an attacker. */
  needles: string[];
  dispose(): Promise<void>;
}

export async function plantCanary(): Promise<Canary> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'tidepool-attack-'));
  const home = path.join(root, 'home');
  const tmp = path.join(root, 'tmp');
  await mkdir(home, { mode: 0o700 });
  await mkdir(tmp);
  // The sandbox runs as an unprivileged uid and must pass through TMPDIR to its own directory.
  await chmod(root, 0o711);
  await chmod(tmp, 0o711);
  const envSecret = `env-canary-${randomBytes(12).toString('hex')}`;
  const homeFileName = `.canary-${randomBytes(8).toString('hex')}`;
  const homeFileContent = `file-canary-${randomBytes(16).toString('hex')}`;
  const homeFilePath = path.join(home, homeFileName);
  await writeFile(homeFilePath, homeFileContent, { mode: 0o600 });
  return {
    root,
    home,
    tmp,
    envSecret,
    homeFileName,
    homeFilePath,
    homeFileContent,
    needles: [envSecret, homeFileName, homeFileContent],
    dispose: () => rm(root, { recursive: true, force: true }),
  };
}

export interface PoolServerOptions {
  /** --host; the default binds loopback only. */
  host?: string;
  /** null starts the pool without any key. Default: a random key. */
  apiKey?: string | null;
  /** Passed as --egress on|off; left out when undefined (the environment or the default decides). */
  egress?: boolean;
  maxSessions?: number;
  readySessions?: number;
  memoryMb?: number;
  maxExecutionSeconds?: number;
  cooldownSeconds?: number;
  extraArgs?: string[];
  extraEnv?: Record<string, string>;
  /** How long to wait for the URL line. */
  startTimeoutMs?: number;
}

export function serverArgs(options: PoolServerOptions, key: string | null): string[] {
  const args = [CLI_ENTRY, 'pool', 'serve', '--port', '0'];
  if (options.host) args.push('--host', options.host);
  if (key !== null) args.push('--api-key', key);
  if (options.egress !== undefined) args.push('--egress', options.egress ? 'on' : 'off');
  args.push('--max-sessions', String(options.maxSessions ?? 8));
  args.push('--ready-sessions', String(options.readySessions ?? 2));
  args.push('--memory-mb', String(options.memoryMb ?? 256));
  args.push('--max-execution-seconds', String(options.maxExecutionSeconds ?? 60));
  args.push('--cooldown-seconds', String(options.cooldownSeconds ?? 600));
  args.push(...(options.extraArgs ?? []));
  return args;
}

export function serverEnv(canary: Canary, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: canary.home,
    TMPDIR: canary.tmp,
    TIDEPOOL_LOG_LEVEL: 'warn',
    [CANARY_ENV]: canary.envSecret,
    ...extra,
  };
}

const STDERR_TAIL = 256 * 1024;

function spawnServer(args: string[], env: Record<string, string>): ChildProcess {
  return killOnExit(spawn(process.execPath, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] }));
}

export class PoolServer {
  readonly child: ChildProcess;
  readonly url: string;
  readonly port: number;
  readonly key: string | null;
  readonly canary: Canary;
  readonly options: PoolServerOptions;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #stderr: () => string;
  #exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  private constructor(child: ChildProcess, url: string, key: string | null, canary: Canary, options: PoolServerOptions, stderr: () => string, exited: PoolServer['exited']) {
    this.child = child;
    // A pool bound to every address is still reached over loopback by the tests.
    this.url = url.replace('://0.0.0.0:', '://127.0.0.1:');
    this.port = Number(new URL(url).port);
    this.key = key;
    this.canary = canary;
    this.options = options;
    this.#stderr = stderr;
    this.exited = exited;
    void exited.then((exit) => {
      this.#exit = exit;
    });
  }

  static async start(canary: Canary, options: PoolServerOptions = {}): Promise<PoolServer> {
    const key = options.apiKey === undefined ? `attack-key-${randomBytes(16).toString('hex')}` : options.apiKey;
    const served = await startServedProcess(serverArgs(options, key), {
      env: serverEnv(canary, options.extraEnv),
      cwd: REPO_ROOT,
      startTimeoutMs: options.startTimeoutMs,
      stderrTailBytes: STDERR_TAIL,
    });
    return new PoolServer(served.child, served.url, key, canary, options, served.stderr, served.exited);
  }

  get pid(): number {
    return this.child.pid!;
  }

  get alive(): boolean {
    return this.#exit === undefined;
  }

  get stderr(): string {
    return this.#stderr();
  }

  /**
   * The pool's private host directories: those under the server's TMPDIR named like one, and the
   * directory of every unix socket the server listens on, wherever the pool put it.
   */
  async hostDirs(): Promise<string[]> {
    const names = await readdir(this.canary.tmp).catch(() => [] as string[]);
    const inTmp = names.filter((name) => name.startsWith('tidepool-pool-')).map((name) => path.join(this.canary.tmp, name));
    const ofSockets = this.alive ? (await unixSocketPaths(this.pid)).map((socketPath) => path.dirname(socketPath)) : [];
    return [...new Set([...inTmp, ...ofSockets])];
  }

  /** Resident memory of the server process in bytes (0 once it is gone). */
  async rssBytes(): Promise<number> {
    try {
      const status = await readFile(`/proc/${this.pid}/status`, 'utf8');
      const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
      return match ? Number(match[1]) * 1024 : 0;
    } catch {
      return 0;
    }
  }

  /** SIGTERM (a clean shutdown), then SIGKILL if it takes longer than `graceMs`. */
  async stop(graceMs = 20_000): Promise<void> {
    if (!this.alive) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  async kill(): Promise<void> {
    if (!this.alive) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

/** Runs `pool serve` expecting it to refuse to start; kills it (and reports so) if it starts instead. */
export async function runExpectingRefusal(canary: Canary, options: PoolServerOptions, timeoutMs = 90_000): Promise<{ code: number | null; stdout: string; stderr: string; started: boolean }> {
  const key = options.apiKey === undefined ? null : options.apiKey;
  const child = spawnServer(serverArgs(options, key), serverEnv(canary, options.extraEnv));
  let stdout = '';
  let stderr = '';
  let started = false;
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
    if (/^http:\/\//.test(stdout) && stdout.includes('\n')) {
      started = true;
      child.kill('SIGTERM');
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_TAIL);
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (exitCode) => resolve(exitCode)));
  clearTimeout(timer);
  return { code, stdout, stderr, started };
}
