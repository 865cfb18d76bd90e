/** Shared set-up for the pool runtime tests: real zygotes, real sandboxes, small limits. */
import { readdir, readFile } from 'node:fs/promises';
import { PoolSessionManager } from '../../../src/pool/runtime/index.js';
import type { PoolSettings } from '../../../src/pool/types.js';

export function testSettings(overrides: Partial<PoolSettings> = {}): PoolSettings {
  const settings: Omit<PoolSettings, 'maxReadySessions'> & { maxReadySessions?: number } = {
    isolation: 'bwrap',
    containerType: 'python',
    egress: false,
    egressAllow: [],
    maxSessions: 6,
    readySessions: 2,
    cooldownSeconds: 300,
    memoryMb: 256,
    maxExecutionSeconds: 60,
    diskMb: 16,
    maxProcesses: 32,
    outputLimitBytes: 1024 * 1024,
    pythonPath: '/usr/bin/python3',
    ...overrides,
  };
  return { ...settings, maxReadySessions: settings.maxReadySessions ?? Math.max(4, settings.readySessions) };
}

export function createTestManager(overrides: Partial<PoolSettings> = {}, interruptGraceMs = 500): PoolSessionManager {
  return new PoolSessionManager(testSettings(overrides), { interruptGraceMs });
}

export async function run(manager: PoolSessionManager, identifier: string, code: string, timeoutMs = 20_000) {
  return manager.execute(identifier, code, { timeoutMs });
}

/** Host pids of every process whose command line mentions `needle` (e.g. a pool's id). */
export async function processesMentioning(needle: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes(needle)) pids.push(Number(entry));
    } catch {
      // Gone already.
    }
  }
  return pids;
}

/** Host pids of every process whose real uid lies in `block` (a pool's uid block). */
export async function processesOwnedBy(block: { first: number; size: number }): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const uid = Number(/^Uid:\s+(\d+)/m.exec(await readFile(`/proc/${entry}/status`, 'utf8'))?.[1]);
      if (uid >= block.first && uid < block.first + block.size) pids.push(Number(entry));
    } catch {
      // Gone already.
    }
  }
  return pids;
}

/** A probe for the host pids below `root` (children, grandchildren, ...), taken anew at each call. */
export function descendantsOf(root: number): () => Promise<number[]> {
  return async () => {
    const parents = new Map<number, number[]>();
    for (const entry of await readdir('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const ppid = Number(/^PPid:\s+(\d+)/m.exec(await readFile(`/proc/${entry}/status`, 'utf8'))?.[1]);
        parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
      } catch {
        // Gone already.
      }
    }
    const found: number[] = [];
    const visit = (pid: number) => (parents.get(pid) ?? []).forEach((child) => (found.push(child), visit(child)));
    visit(root);
    return found;
  };
}
