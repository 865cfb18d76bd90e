/**
 * The kernel's killing of processes a cell leaves behind, in a PID namespace made with
 * unshare(1) the way a pool session's is: a small PID 1 (here sh) with the kernel as its child.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { KernelClient } from '../../src/kernel/kernel-client.js';
import type { KernelExit, KernelTransport } from '../../src/kernel/types.js';
import { PYTHON_DIR } from '../../src/paths.js';

const canUnshare = process.getuid?.() === 0 && spawnSync('unshare', ['-pf', '--mount-proc', 'true']).status === 0;

/** A kernel with reaping on, inside a fresh PID namespace when `namespace` is true. */
function startKernel(dataDir: string, namespace: boolean): KernelTransport & { stop: () => void } {
  const python = `import sys; sys.path.insert(0, ${JSON.stringify(PYTHON_DIR)}); import tidepool_kernel as k; k.serve(3, 4, ${JSON.stringify(dataDir)}, reap_session_processes=True)`;
  // `; true` keeps sh from exec-ing python, so sh stays PID 1 and python is its child.
  const [command, args] = namespace ? ['unshare', ['-pf', '--mount-proc', 'sh', '-c', `/usr/bin/python3 -I -u -c '${python}'; true`]] : ['/usr/bin/python3', ['-I', '-u', '-c', python]];
  const child = spawn(command as string, args as string[], { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'], detached: true, env: { PATH: '/usr/bin:/bin' } });
  let diagnostics = '';
  child.stderr!.on('data', (chunk: Buffer) => (diagnostics += chunk.toString()));
  const exited = new Promise<KernelExit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const stop = () => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // Gone already.
    }
  };
  return { input: child.stdio[3] as Writable, output: child.stdio[4] as Readable, interrupt: () => {}, kill: stop, stop, exited, diagnostics: () => diagnostics };
}

/** Defines session_pids(): the live (not zombie) processes the kernel's /proc shows. */
const SESSION_PIDS_HELPER = [
  'def session_pids():',
  '    pids = []',
  "    for entry in os.listdir('/proc'):",
  '        try:',
  "            if entry.isdigit() and open(f'/proc/{entry}/stat').read().rsplit(')', 1)[1].split()[0] != 'Z':",
  '                pids.append(int(entry))',
  '        except OSError:',
  '            pass  # exited meanwhile',
  '    return sorted(pids)',
].join('\n');
const SESSION_PIDS = 'session_pids()';

describe.skipIf(!canUnshare)('kernel: processes left behind by a cell', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  async function kernel(namespace: boolean): Promise<{ client: KernelClient; transport: ReturnType<typeof startKernel> }> {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'tidepool-reap-'));
    const transport = startKernel(dataDir, namespace);
    const client = new KernelClient(transport);
    cleanups.push(() => transport.stop(), () => rm(dataDir, { recursive: true, force: true }));
    await client.ping();
    await client.execute(`import os, subprocess, time\n${SESSION_PIDS_HELPER}`);
    return { client, transport };
  }

  it('kills background processes after the cell, and none but PID 1 and the kernel remain', async () => {
    const { client } = await kernel(true);
    const cell = await client.execute("subprocess.Popen(['sleep', '1000'])\nsubprocess.Popen('sleep 1000 & sleep 1000 &', shell=True)\nos.getpid(), os.getppid()");
    expect(cell.result).toBe('(2, 1)');
    expect((await client.execute(SESSION_PIDS)).result).toBe('[1, 2]');
  });

  it('keeps them while the cell sets TIDEPOOL_KEEP_PROCESSES, and ends them once it is unset', async () => {
    const { client } = await kernel(true);
    await client.execute("os.environ['TIDEPOOL_KEEP_PROCESSES'] = '1'\nserver = subprocess.Popen(['sleep', '1000'])");
    expect((await client.execute('server.poll()')).result).toBeNull();
    await client.execute("del os.environ['TIDEPOOL_KEEP_PROCESSES']");
    expect((await client.execute(SESSION_PIDS)).result).toBe('[1, 2]');
  });

  it('stops a process that keeps forking away from its own pid, within a bounded time', async () => {
    const { client } = await kernel(true);
    // Each generation forks and exits, so a single scan-then-kill pass would always miss the newest one.
    const flee = 'import os\\nwhile True:\\n    if os.fork(): os._exit(0)';
    // /proc/loadavg ends with the last pid handed out in the namespace: how often it forked.
    const lastPid = "int(open('/proc/loadavg').read().split()[-1])";
    // Poll until it has forked a hundred times, however slow the machine is.
    const wait = `deadline = time.monotonic() + 15\nwhile ${lastPid} - first <= 100 and time.monotonic() < deadline:\n    time.sleep(0.01)`;
    const cell = await client.execute(`first = ${lastPid}\nsubprocess.Popen(['/usr/bin/python3', '-c', '${flee}'])\n${wait}\n${lastPid} - first`, { timeoutMs: 30_000 });
    expect(cell.result).toBeGreaterThan(100);
    // Each pass is bounded (REAP_DEADLINE_SECONDS); one that runs out says so, and the next cell's finishes the job.
    await client.execute('None');
    expect((await client.execute(SESSION_PIDS)).result).toBe('[1, 2]');
  });

  it('refuses to reap outside a PID namespace, where the other processes are the host\'s', async () => {
    const { client, transport } = await kernel(false);
    await client.execute("survivor = subprocess.Popen(['sleep', '1000'])");
    expect((await client.execute('survivor.poll()')).result).toBeNull();
    expect(transport.diagnostics()).toMatch(/not reaping leftover processes/);
    await client.execute('survivor.kill()');
  });
});
