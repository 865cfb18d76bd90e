/**
 * A session's processes as the host sees them: at rest, its PID 1 and its kernel, both children of
 * the zygote; a file server only while file requests come, joined to the session's uid, cgroup
 * and mount namespace but not its PID namespace; a restarted kernel in the same namespaces and
 * cgroup; and none of them left once the zygote is gone (killed itself, or its bubblewrap).
 */
import { readFile, readlink } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PoolSessionManager } from '../../../src/pool/runtime/index.js';
import { sessionHostPids, sessionInitHostPid } from '../../../src/bench/support/process-memory.js';
import { createTestManager, run } from './helpers.js';

interface HostProcess {
  pid: number;
  ppid: number;
  uid: number;
  name: string;
  pidNs: string;
  mntNs: string;
  cgroup: string;
}

async function describeProcess(pid: number): Promise<HostProcess | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const field = (name: string) => new RegExp(`^${name}:\\s+(\\S+)`, 'm').exec(status)?.[1] ?? '';
    return {
      pid,
      ppid: Number(field('PPid')),
      uid: Number(field('Uid')),
      name: field('Name'),
      pidNs: await readlink(`/proc/${pid}/ns/pid`),
      mntNs: await readlink(`/proc/${pid}/ns/mnt`),
      cgroup: await readFile(`/proc/${pid}/cgroup`, 'utf8'),
    };
  } catch {
    return undefined; // gone already
  }
}

/** Every process of the session (as the bench finds them: by its PID and mount namespaces), described. */
async function sessionProcesses(manager: PoolSessionManager, identifier: string): Promise<HostProcess[]> {
  const pids = await sessionHostPids(manager.zygotePid!, manager.sessionProcess(identifier)!.initPid!);
  return (await Promise.all(pids.map(describeProcess))).filter((p): p is HostProcess => p !== undefined);
}

/** Those of `processes` still running, as "pid name". */
function stillAlive(processes: HostProcess[]): string[] {
  return processes.filter((p) => {
    try {
      process.kill(p.pid, 0);
      return true;
    } catch {
      return false;
    }
  }).map((p) => `${p.pid} ${p.name}`);
}

async function initOf(manager: PoolSessionManager, identifier: string): Promise<HostProcess> {
  const pid = await sessionInitHostPid(manager.zygotePid!, manager.sessionProcess(identifier)!.initPid!);
  const init = pid === undefined ? undefined : await describeProcess(pid);
  if (!init) throw new Error(`no PID 1 found for session ${identifier}`);
  return init;
}

describe('pool runtime: the processes of a session', () => {
  let manager: PoolSessionManager;

  beforeAll(async () => {
    manager = createTestManager({ maxSessions: 4, readySessions: 1 });
    await manager.start();
  });
  afterAll(() => manager.close());

  it('is its PID 1 and kernel at rest; a file request adds a file server in its uid, cgroup and mounts, outside its PID namespace', async () => {
    await run(manager, 'files', 'x = 1');
    const init = await initOf(manager, 'files');
    // PID 1 execs once the zygote has reaped the setup process, which may come after the first cell.
    await expect.poll(async () => (await sessionProcesses(manager, 'files')).map((p) => p.name).sort(), { timeout: 10_000 }).toEqual(['python3', 'tidepool-init']);
    const atRest = await sessionProcesses(manager, 'files');
    // Both children of the zygote (under bubblewrap, whose pid the manager knows).
    const zygote = init.ppid;
    expect(atRest.every((p) => p.ppid === zygote)).toBe(true);
    const kernel = atRest.find((p) => p.name === 'python3')!;

    await manager.writeFile('files', 'a.txt', new Uint8Array([1, 2, 3]));
    expect((await manager.listFiles('files')).map((file) => file.name)).toEqual(['a.txt']);
    const withFiles = await sessionProcesses(manager, 'files');
    const server = withFiles.find((p) => p.pid !== kernel.pid && p.pid !== init.pid);
    expect(server, 'a file server while file requests come').toBeDefined();
    expect(server!.ppid).toBe(zygote);
    expect(server!.mntNs).toBe(init.mntNs);
    expect(server!.pidNs).not.toBe(init.pidNs);
    expect(server!.uid).toBe(kernel.uid);
    expect(server!.cgroup).toBe(kernel.cgroup);
    expect(kernel.cgroup).toBe(init.cgroup);
  });

  it('restarts a kernel in the same PID namespace and cgroup, as a child of the zygote', async () => {
    await run(manager, 'restart', 'x = 1');
    const init = await initOf(manager, 'restart');
    const [before] = (await sessionProcesses(manager, 'restart')).filter((p) => p.name === 'python3');
    await run(manager, 'restart', 'import os, signal\nos.kill(os.getpid(), signal.SIGKILL)').catch(() => undefined);
    expect((await run(manager, 'restart', '2')).freshKernel).toBe(true);
    const after = (await sessionProcesses(manager, 'restart')).filter((p) => p.name === 'python3');
    expect(after).toHaveLength(1);
    expect(after[0]!.pid).not.toBe(before!.pid);
    expect([after[0]!.ppid, after[0]!.pidNs, after[0]!.cgroup, after[0]!.uid]).toEqual([init.ppid, init.pidNs, init.cgroup, before!.uid]);
  });

  it('leaves none of its processes behind when the zygote is killed, a file server included', async () => {
    await run(manager, 'orphan', 'x = 1');
    await manager.writeFile('orphan', 'b.txt', new Uint8Array([1]));
    const init = await initOf(manager, 'orphan');
    const processes = await sessionProcesses(manager, 'orphan');
    expect(processes.length).toBeGreaterThanOrEqual(3); // PID 1, kernel, file server
    process.kill(init.ppid, 'SIGKILL'); // the zygote itself
    await expect.poll(() => stillAlive(processes), { timeout: 15_000, interval: 50 }).toEqual([]);
  });

  it('leaves neither the zygote nor any session process behind when the bubblewrap around the zygote is killed', async () => {
    await run(manager, 'wrapped', 'x = 1');
    const init = await initOf(manager, 'wrapped');
    const zygote = (await describeProcess(init.ppid))!;
    const processes = [zygote, ...(await sessionProcesses(manager, 'wrapped'))];
    const wrapper = manager.zygotePid!;
    expect(wrapper, 'the manager knows the bubblewrap process, the zygote is its child').toBe(zygote.ppid);
    process.kill(wrapper, 'SIGKILL');
    await expect.poll(() => stillAlive(processes), { timeout: 15_000, interval: 50 }).toEqual([]);
  });
});
