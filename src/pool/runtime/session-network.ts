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
 *
 * Its DNS forwarder (10.0.2.3) sends to the first IPv4 nameserver of the host's /etc/resolv.conf,
 * and to 127.0.0.1 when there is none. A resolver on the host's loopback (systemd-resolved's
 * 127.0.0.53, a local dnsmasq) would thus be a host loopback service every session reaches, so
 * then slirp4netns starts in a mount namespace whose /etc/resolv.conf lists the upstream servers
 * systemd-resolved uses (/run/systemd/resolve/resolv.conf), or, with none, without DNS at all.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
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

/** systemd-resolved's list of the upstream servers it forwards to. */
const SYSTEMD_UPSTREAMS = '/run/systemd/resolve/resolv.conf';

/** How slirp4netns's DNS forwarder is set up: as the host has it, to upstream servers only, or off. */
export type DnsPlan = { kind: 'host' } | { kind: 'upstreams'; resolvConf: string } | { kind: 'off' };

function ipv4Nameservers(resolvConf: string): string[] {
  return [...resolvConf.matchAll(/^\s*nameserver\s+(\d{1,3}(?:\.\d{1,3}){3})\s*$/gm)].map((match) => match[1]!);
}

/** Picks the DNS plan from the host's resolv.conf and systemd-resolved's upstream list (when there is one). */
export function dnsPlan(hostResolvConf: string, systemdUpstreams: string | undefined): DnsPlan {
  const first = ipv4Nameservers(hostResolvConf)[0];
  if (first !== undefined && !first.startsWith('127.') && !first.startsWith('0.')) return { kind: 'host' };
  const upstreams = ipv4Nameservers(systemdUpstreams ?? '').filter((address) => !address.startsWith('127.') && !address.startsWith('0.'));
  if (upstreams.length === 0) return { kind: 'off' };
  return { kind: 'upstreams', resolvConf: upstreams.map((address) => `nameserver ${address}\n`).join('') };
}

/** resolv.conf files written for slirp4netns, by their content: written once each, and a changed upstream list gets a file of its own. */
const upstreamsFiles = new Map<string, Promise<string>>();

/** The command that starts slirp4netns with `args` under the plan read now. */
async function slirpCommand(args: string[]): Promise<[string, string[]]> {
  const plan = dnsPlan(await readFile('/etc/resolv.conf', 'utf8').catch(() => ''), await readFile(SYSTEMD_UPSTREAMS, 'utf8').catch(() => undefined));
  if (plan.kind === 'host') return ['slirp4netns', args];
  if (plan.kind === 'off') return ['slirp4netns', ['--disable-dns', ...args]];
  let written = upstreamsFiles.get(plan.resolvConf);
  if (!written) {
    written = (async () => {
      const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'tidepool-dns-')), 'resolv.conf');
      await writeFile(file, plan.resolvConf, { mode: 0o644 });
      return file;
    })();
    upstreamsFiles.set(plan.resolvConf, written);
  }
  const file = await written;
  return ['unshare', ['-m', '--propagation', 'private', 'sh', '-c', 'mount --bind "$0" /etc/resolv.conf && exec slirp4netns "$@"', file, ...args]];
}

export interface SessionNetwork {
  close(): void;
}

/** Attaches slirp4netns to the network namespace of host process `pid`; resolves once the interface is up. */
export async function attachNetwork(pid: number): Promise<SessionNetwork> {
  const [command, args] = await slirpCommand(['--configure', '--mtu=65520', '--disable-host-loopback', '--enable-sandbox', '--enable-seccomp', '--ready-fd=3', '--exit-fd=4', String(pid), 'tap0']);
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
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
