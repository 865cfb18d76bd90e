/**
 * A real `tidepool pool serve` process for the soak, started as an operator starts it, that can be
 * stopped and started again on the same port, and whose memory, descriptors and threads can be read
 * from /proc while it runs.
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CLI_ENTRY, startServedProcess } from '../../support/pool-serve-process.js';


export interface PoolProcessOptions {
  maxSessions: number;
  readySessions?: number;
  memoryMb?: number;
  maxExecutionSeconds?: number;
  /** 0 picks a free port; a restart passes the port it had. */
  port?: number;
  startTimeoutMs?: number;
  /** More `pool serve` flags. */
  extraArgs?: string[];
}

export interface ResourceSample {
  atMs: number;
  rssBytes: number;
  descriptors: number;
  threads: number;
}

export class PoolProcess {
  private constructor(
    readonly child: ChildProcess,
    readonly url: string,
    readonly port: number,
    readonly tmp: string,
    private readonly stderr: () => string,
  ) {}

  static async start(options: PoolProcessOptions): Promise<PoolProcess> {
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'tidepool-soak-'));
    // Sessions run as unprivileged uids and pass through TMPDIR to their own directories.
    await chmod(tmp, 0o711);
    const args = [CLI_ENTRY, 'pool', 'serve', '--port', String(options.port ?? 0), '--max-sessions', String(options.maxSessions)];
    args.push('--ready-sessions', String(options.readySessions ?? 2), '--memory-mb', String(options.memoryMb ?? 256));
    args.push('--max-execution-seconds', String(options.maxExecutionSeconds ?? 60), '--cooldown-seconds', '3600', ...(options.extraArgs ?? []));
    const served = await startServedProcess(args, {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tmp, TMPDIR: tmp, TIDEPOOL_LOG_LEVEL: 'warn', TIDEPOOL_LOG_FORMAT: 'json' },
      startTimeoutMs: options.startTimeoutMs,
      stderrTailBytes: 64 * 1024,
    });
    return new PoolProcess(served.child, served.url, Number(new URL(served.url).port), tmp, served.stderr);
  }

  get pid(): number {
    return this.child.pid!;
  }

  get log(): string {
    return this.stderr();
  }

  /** The server's resident memory, open descriptors and threads, read from /proc. */
  async sample(startedAt: number): Promise<ResourceSample> {
    const status = await readFile(`/proc/${this.pid}/status`, 'utf8');
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
    const descriptors = (await readdir(`/proc/${this.pid}/fd`)).length;
    return { atMs: Date.now() - startedAt, rssBytes: field('VmRSS') * 1024, descriptors, threads: field('Threads') };
  }

  /** Stops the server with `signal` and waits until it (and its sessions) are gone. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 60_000): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = once(this.child, 'exit');
      this.child.kill(signal);
      const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
      await exited;
      clearTimeout(timer);
    }
    await rm(this.tmp, { recursive: true, force: true }).catch(() => undefined);
  }
}
