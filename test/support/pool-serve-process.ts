/**
 * `node bin/tidepool.js …` (normally `pool serve`) as a child process, the way an operator starts a
 * pool: resolves once it prints its URL on the first stdout line, with its stderr tail kept for error
 * messages. The attack, soak and scale-out suites each build their own pool on this.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI_ENTRY = path.join(REPO_ROOT, 'bin', 'tidepool.js');

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ServedProcess {
  child: ChildProcess;
  /** The first line it printed. */
  url: string;
  exited: Promise<ProcessExit>;
  /** The last `stderrTailBytes` of its stderr so far. */
  stderr(): string;
}

export interface ServeOptions {
  env: NodeJS.ProcessEnv;
  /** Default this checkout. */
  cwd?: string;
  /** Default 90 s: a pool boots its zygote (the scientific stack) before it listens. */
  startTimeoutMs?: number;
  /** Default 256 KiB. */
  stderrTailBytes?: number;
}

/** Servers still running; killed if the test process exits without stopping them (a hook that timed out, say). */
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Tracks a child so that it is killed if the test process exits while it runs. */
export function killOnExit(child: ChildProcess): ChildProcess {
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

/** Runs `node ...nodeArgs` (e.g. `[CLI_ENTRY, 'pool', 'serve', ...]`) and waits for the URL it prints. */
export async function startServedProcess(nodeArgs: string[], options: ServeOptions): Promise<ServedProcess> {
  const child = spawn(process.execPath, nodeArgs, { cwd: options.cwd ?? REPO_ROOT, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const what = nodeArgs.slice(1, 3).join(' ');
  killOnExit(child);
  const tail = options.stderrTailBytes ?? 256 * 1024;
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-tail);
  });
  const exited = new Promise<ProcessExit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const timeoutMs = options.startTimeoutMs ?? 90_000;
  const url = await new Promise<string>((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${what} printed no URL within ${timeoutMs} ms; stderr: ${stderr.slice(-2000)}`));
    }, timeoutMs);
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      const line = stdout.split('\n')[0]!.trim();
      if (stdout.includes('\n') && line) {
        clearTimeout(timer);
        resolve(line);
      }
    });
    void exited.then((exit) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${exit.code ?? exit.signal}) before printing its URL; stderr: ${stderr.slice(-2000)}`));
    });
  });
  return { child, url, exited, stderr: () => stderr };
}
