/**
 * What the host's /proc says about a server process: the unix sockets it holds (and so where
 * its private directory is, wherever the pool chose to put it) and its descendants.
 */
import { readdir, readFile, readlink } from 'node:fs/promises';

/** Paths of the named (not abstract) unix sockets process `pid` holds open. */
export async function unixSocketPaths(pid: number): Promise<string[]> {
  const inodes = new Set<string>();
  for (const fd of await readdir(`/proc/${pid}/fd`).catch(() => [] as string[])) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const match = /^socket:\[(\d+)\]$/.exec(target);
    if (match) inodes.add(match[1]!);
  }
  const table = await readFile('/proc/net/unix', 'utf8').catch(() => '');
  const paths: string[] = [];
  for (const line of table.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 8) continue;
    const [inode, socketPath] = [fields[6]!, fields.slice(7).join(' ')];
    if (inodes.has(inode) && socketPath.startsWith('/')) paths.push(socketPath);
  }
  return [...new Set(paths)];
}

export interface ProcessId {
  pid: number;
  /** Start time in clock ticks since boot, so a reused pid is not mistaken for the process. */
  start: string;
}

async function statOf(pid: number): Promise<{ ppid: number; start: string } | undefined> {
  try {
    const text = await readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(fields[1]), start: fields[19]! };
  } catch {
    return undefined;
  }
}

/** Every process below `root` in the process tree, right now. */
export async function descendants(root: number): Promise<ProcessId[]> {
  const children = new Map<number, ProcessId[]>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const info = await statOf(Number(entry));
    if (!info) continue;
    const list = children.get(info.ppid) ?? [];
    list.push({ pid: Number(entry), start: info.start });
    children.set(info.ppid, list);
  }
  const found: ProcessId[] = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child.pid);
    }
  }
  return found;
}

/** Those of `processes` that still run (and are not zombies). */
export async function stillRunning(processes: ProcessId[]): Promise<ProcessId[]> {
  const running: ProcessId[] = [];
  for (const process of processes) {
    try {
      const text = await readFile(`/proc/${process.pid}/stat`, 'utf8');
      const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
      if (fields[19] === process.start && fields[0] !== 'Z') running.push(process);
    } catch {
      // Gone.
    }
  }
  return running;
}
