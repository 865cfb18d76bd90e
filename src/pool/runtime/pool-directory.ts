/**
 * The pool's private working directory on the host, and (when the server runs as root) the
 * block of host uids its sessions run as.
 *
 * The directory holds the control socket sessions connect to, the zygote's configuration and
 * matplotlib cache. It is never bound into the sandbox: the zygote receives an open descriptor
 * of it, so no host path appears in a session's mount table.
 *
 * Root: each pool claims one block of 65,536 host uids (the zygote runs as the block's first uid,
 * every live session as another one), so per-uid kernel quotas (processes, inotify, keyrings,
 * namespaces) are per session and never shared with the host or another pool. The block number is
 * the directory's name under /run/tidepool/pools, so claiming the directory (an atomic mkdir)
 * claims the block; a directory whose owner process is gone is reclaimed.
 */
import { randomInt } from 'node:crypto';
import { chmod, chown, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** Where root pools keep their directories (a tmpfs on systemd hosts: nothing survives a reboot). */
export const ROOT_POOLS_DIR = '/run/tidepool/pools';
/** The host uid range blocks are taken from: far above login and container (subuid) ranges, below 2^31. */
const UID_RANGE_START = 1_000_000_000;
export const UID_BLOCK_SIZE = 65_536;
const UID_BLOCKS = 15_000;
const OWNER_FILE = 'owner.pid';
const STALE_PREFIX = 'tidepool-pool-';

export interface UidBlock {
  /** The zygote's uid (and gid); sessions use the next ones. */
  first: number;
  size: number;
}

export interface PoolDirectory {
  /** Host path of the pool's private directory (0700). */
  hostDir: string;
  socketHostPath: string;
  /** The block of host uids this pool runs as (root only). */
  uids?: UidBlock;
}

export async function preparePoolDirectory(asRoot: boolean): Promise<PoolDirectory> {
  const claimed: { hostDir: string; uids?: UidBlock } = asRoot ? await claimRootDirectory() : { hostDir: await claimTempDirectory() };
  const { hostDir } = claimed;
  await writeFile(path.join(hostDir, OWNER_FILE), `${process.pid}\n`);
  await mkdir(path.join(hostDir, 'mplconfig'));
  if (claimed.uids) {
    await chown(hostDir, claimed.uids.first, claimed.uids.first);
    await chown(path.join(hostDir, 'mplconfig'), claimed.uids.first, claimed.uids.first);
  }
  await chmod(hostDir, 0o700);
  return { ...claimed, socketHostPath: path.join(hostDir, 'pool.sock') };
}

async function claimRootDirectory(): Promise<{ hostDir: string; uids: UidBlock }> {
  await mkdir(ROOT_POOLS_DIR, { recursive: true, mode: 0o700 });
  for (let attempt = 0; attempt < 64; attempt++) {
    const block = randomInt(UID_BLOCKS);
    const hostDir = path.join(ROOT_POOLS_DIR, String(block));
    try {
      await mkdir(hostDir, { mode: 0o700 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (await ownerAlive(hostDir)) continue;
      await rm(hostDir, { recursive: true, force: true });
      continue;
    }
    return { hostDir, uids: { first: UID_RANGE_START + block * UID_BLOCK_SIZE, size: UID_BLOCK_SIZE } };
  }
  throw new Error(`Could not claim a uid block under ${ROOT_POOLS_DIR}: every block tried belongs to a running pool.`);
}

async function claimTempDirectory(): Promise<string> {
  // Directories of pools that died without cleaning up (a SIGKILL) go first.
  const tmp = os.tmpdir();
  for (const entry of await readdir(tmp).catch(() => [] as string[])) {
    if (!entry.startsWith(STALE_PREFIX)) continue;
    const dir = path.join(tmp, entry);
    if (!(await ownerAlive(dir))) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
  return mkdtemp(path.join(tmp, STALE_PREFIX));
}

/** A directory without a readable owner file is one being set up right now: treat it as alive. */
async function ownerAlive(dir: string): Promise<boolean> {
  let pid: number;
  try {
    pid = Number((await readFile(path.join(dir, OWNER_FILE), 'utf8')).trim());
  } catch {
    return true;
  }
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Hands out the host uids of a block to live sessions. Round-robin, so a uid just released (whose
 * per-uid kernel state may still be draining) is the last to be used again.
 */
export class UidAllocator {
  readonly #inUse = new Set<number>();
  #next: number;

  constructor(private readonly block: UidBlock) {
    this.#next = block.first + 1;
  }

  take(): number {
    for (let tried = 1; tried < this.block.size; tried++) {
      const uid = this.#next;
      this.#next = uid + 1 >= this.block.first + this.block.size ? this.block.first + 1 : uid + 1;
      if (!this.#inUse.has(uid)) {
        this.#inUse.add(uid);
        return uid;
      }
    }
    throw new Error(`All ${this.block.size - 1} session uids of this pool are in use.`);
  }

  release(uid: number): void {
    this.#inUse.delete(uid);
  }
}
