/**
 * Memory of the pool's processes as /proc reports it: the process tree under a pid, the host pids
 * of one session, and each process's proportional (PSS) and unique (USS) set size.
 */
import { readFile, readlink } from 'node:fs/promises';

async function children(pid: number): Promise<number[]> {
  try {
    const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8');
    return text.trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

async function nsPids(pid: number): Promise<number[]> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const line = status.split('\n').find((l) => l.startsWith('NSpid:')) ?? '';
  return line.split(/\s+/).slice(1).map(Number);
}

/** Every process under `rootPid` (inclusive), depth first. */
export async function processTree(rootPid: number): Promise<number[]> {
  const all = [rootPid];
  for (const child of await children(rootPid)) all.push(...(await processTree(child)));
  return all;
}

/** The namespace a process is in, as its /proc link names it (e.g. "pid:[4026532]"), or undefined once it is gone. */
async function namespaceOf(pid: number, kind: 'pid' | 'mnt'): Promise<string | undefined> {
  return readlink(`/proc/${pid}/ns/${kind}`).catch(() => undefined);
}

/**
 * The host pid of the session's PID 1, which has `initPid` in the zygote's PID namespace, among the
 * processes under `zygoteHostRoot`. Its NSpid reads host, sandbox (the zygote's namespace), session.
 */
export async function sessionInitHostPid(zygoteHostRoot: number, initPid: number): Promise<number | undefined> {
  for (const pid of await processTree(zygoteHostRoot)) {
    const ns = await nsPids(pid).catch(() => []);
    // Root: the zygote shares the host's PID namespace, so the reported pid is the host's; otherwise
    // bubblewrap's PID namespace sits in between.
    if (ns.at(-1) === 1 && (ns.length === 2 ? ns[0] === initPid : ns[1] === initPid)) return pid;
  }
  return undefined;
}

/**
 * Host pids of that session: PID 1, the kernel and whatever else runs in the session's PID
 * namespace, and a file server if one runs (outside that namespace, in the session's mount
 * namespace). All are children of the zygote or below them.
 */
export async function sessionHostPids(zygoteHostRoot: number, initPid: number): Promise<number[]> {
  const init = await sessionInitHostPid(zygoteHostRoot, initPid);
  if (init === undefined) return [];
  const [pidNs, mntNs] = await Promise.all([namespaceOf(init, 'pid'), namespaceOf(init, 'mnt')]);
  const members: number[] = [];
  for (const pid of await processTree(zygoteHostRoot)) {
    const [ownPid, ownMnt] = await Promise.all([namespaceOf(pid, 'pid'), namespaceOf(pid, 'mnt')]);
    if ((ownPid !== undefined && ownPid === pidNs) || (ownMnt !== undefined && ownMnt === mntNs)) members.push(pid);
  }
  return members;
}

async function rollup(pid: number): Promise<string> {
  try {
    return await readFile(`/proc/${pid}/smaps_rollup`, 'utf8');
  } catch {
    // The process ended between listing and reading: it holds nothing any more.
    return '';
  }
}

function field(text: string, name: string): number {
  return Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0) / 1024;
}

/** Proportional set size in MiB (shared pages split between the processes sharing them). */
export async function pssMb(pid: number): Promise<number> {
  return field(await rollup(pid), 'Pss');
}

/** Unique set size in MiB: pages no other process shares. */
export async function ussMb(pid: number): Promise<number> {
  const text = await rollup(pid);
  return field(text, 'Private_Clean') + field(text, 'Private_Dirty');
}

/** Sum of PSS over `pids` in MiB: what those processes cost together, shared pages counted once. */
export async function totalPssMb(pids: number[]): Promise<number> {
  let total = 0;
  // A few at a time: thousands of processes would otherwise open thousands of files at once.
  for (let i = 0; i < pids.length; i += 64) total += (await Promise.all(pids.slice(i, i + 64).map(pssMb))).reduce((a, b) => a + b, 0);
  return total;
}
