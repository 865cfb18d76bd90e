/**
 * What the server, as root, does for each new session between "unshared" and "proceed": give its
 * user namespace a host uid of its own, put it in its own cgroup and, with egress on, attach its
 * user-mode network. `release` undoes all of it once the session has ended.
 */
import { writeFile } from 'node:fs/promises';
import type { PoolCgroups, SessionCgroup, SessionLimits } from './cgroups.js';
import type { UidAllocator } from './pool-directory.js';
import { attachNetwork, type SessionNetwork } from './session-network.js';

export interface SessionHostOptions {
  uids: UidAllocator;
  cgroups: PoolCgroups | undefined;
  egress: boolean;
  limits: SessionLimits;
}

export interface HostedSession {
  uid: number;
  release(): Promise<void>;
}

/** Sets up the session whose setup process is host pid `pid`, named `name`. */
export async function hostSession(pid: number, name: string, options: SessionHostOptions): Promise<HostedSession> {
  const uid = options.uids.take();
  let cgroup: SessionCgroup | undefined;
  let network: SessionNetwork | undefined;
  const release = async () => {
    network?.close();
    await cgroup?.remove().catch(() => undefined);
    options.uids.release(uid);
  };
  try {
    // Root of the session's namespace is `uid` outside it, for files, signals and every per-uid quota.
    await writeFile(`/proc/${pid}/uid_map`, `0 ${uid} 1`);
    await writeFile(`/proc/${pid}/gid_map`, `0 ${uid} 1`);
    if (options.cgroups) {
      cgroup = await options.cgroups.create(name, options.limits);
      await cgroup.add(pid);
    }
    if (options.egress) network = await attachNetwork(pid);
  } catch (error) {
    await release();
    throw error;
  }
  return { uid, release };
}
