/**
 * What the server, as root, does for each new session between "unshared" and "proceed" (the
 * session already runs as its own host uid, handed out here too): put it in its own cgroup and,
 * with egress on, attach its user-mode network. `release` undoes it once the session has ended.
 */
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
  /** Puts a process joining the running session (a restarted kernel's, a file server's) in its cgroup. */
  join(pid: number): Promise<void>;
  release(): Promise<void>;
}

/** Sets up the session whose setup process is host pid `pid`, named `name`. */
export async function hostSession(pid: number, name: string, options: SessionHostOptions): Promise<HostedSession> {
  let cgroup: SessionCgroup | undefined;
  let network: SessionNetwork | undefined;
  const release = async () => {
    network?.close();
    await cgroup?.remove().catch(() => undefined);
  };
  try {
    if (options.cgroups) {
      cgroup = await options.cgroups.create(name, options.limits);
      await cgroup.add(pid);
    }
    if (options.egress) network = await attachNetwork(pid);
  } catch (error) {
    await release();
    throw error;
  }
  return { join: async (pid) => cgroup?.add(pid), release };
}
