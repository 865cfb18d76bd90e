/**
 * Egress for one session: slirp4netns (a user-mode TCP/IP stack, Debian's package) attached to the
 * session's own network namespace, so the session reaches the internet through NAT and never
 * shares the host's network: not its loopback services (--disable-host-loopback), not its
 * abstract Unix sockets (they belong to a network namespace), not its addresses to listen on.
 * The session itself refuses the host's own addresses and the private, link-local and reserved
 * ranges (blockedDestinations, applied with nftables inside the session's namespace).
 *
 * slirp4netns runs sandboxed (--enable-sandbox: its own mount namespace, capabilities dropped)
 * with its own seccomp filter, and ends with the session.
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import type { Readable, Writable } from 'node:stream';

const READY_TIMEOUT_MS = 10_000;

/** Ranges a session with egress never reaches: this network, private, shared, link-local, loopback, reserved. */
const NON_PUBLIC_RANGES = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.0.0.0/24',
  '192.168.0.0/16',
  '198.18.0.0/15',
  '224.0.0.0/3',
];

/** Every IPv4 destination a session with egress is refused: the ranges above plus the host's own addresses. */
export function blockedDestinations(): string[] {
  const own = Object.values(os.networkInterfaces())
    .flatMap((addresses) => addresses ?? [])
    .filter((address) => address.family === 'IPv4')
    .map((address) => address.address);
  return [...new Set([...NON_PUBLIC_RANGES, ...own])];
}

export interface SessionNetwork {
  close(): void;
}

/** Attaches slirp4netns to the network namespace of host process `pid`; resolves once the interface is up. */
export async function attachNetwork(pid: number): Promise<SessionNetwork> {
  const child = spawn(
    'slirp4netns',
    ['--configure', '--mtu=65520', '--disable-host-loopback', '--enable-sandbox', '--enable-seccomp', '--ready-fd=3', '--exit-fd=4', String(pid), 'tap0'],
    { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] },
  );
  const exitPipe = child.stdio[4] as Writable;
  exitPipe.on('error', () => {});
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-2000);
  });
  const close = () => {
    exitPipe.destroy();
    child.kill('SIGKILL');
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`slirp4netns did not come up within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
      (child.stdio[3] as Readable).once('data', () => {
        clearTimeout(timer);
        resolve();
      });
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(new Error(`slirp4netns could not start: ${error.message}. Install it (tidepool setup) or run the pool with --egress off.`));
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`slirp4netns exited with code ${code}: ${stderr.trim()}`));
      });
    });
  } catch (error) {
    close();
    throw error;
  }
  child.removeAllListeners('exit');
  return { close };
}
