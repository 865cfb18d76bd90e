/**
 * Attacks on the pool in the modes the other suites leave out: sessions with egress on (slirp4netns
 * and the nftables rules in the session's own namespace) and the code budget every session shares
 * (--pending-code-mb). Each test also checks that a victim session is intact, /healthz stayed under
 * 1 s and no canary leaked.
 */
import { spawn, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { chown, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, REPO_ROOT } from './support/build.js';
import { GEN2, PoolClient, sleep, type Execution } from './support/client.js';
import { guarded, useAttackPool, type AttackContext } from './support/fixture.js';
import { hostAddresses, listenTcp, type Listener } from './support/host-net.js';
import { plantCanary, serverArgs, serverEnv, type Canary } from './support/pool-server.js';

const MB = 1024 * 1024;
/** The largest execution body a pool accepts (MAX_EXECUTION_BODY_MB). */
const MAX_BODY_BYTES = 32 * MB;

/**
 * A bystander's small executions, one after another for `forMs`: answers the refusals it met
 * (an empty list when every one ran).
 */
async function bystanderRefusals(ctx: AttackContext, identifier: string, forMs: number): Promise<string[]> {
  const refusals: string[] = [];
  const until = performance.now() + forMs;
  let runs = 0;
  while (performance.now() < until || runs < 3) {
    const run: Execution = await ctx.client.exec2(identifier, '6 * 7', { timeoutInSeconds: 30, httpTimeoutMs: 60_000 });
    runs++;
    if (!run.ok) refusals.push(`HTTP ${run.http} ${run.errorCode ?? ''}: ${(run.errorMessage ?? '').slice(0, 200)}`);
    await sleep(100);
  }
  return refusals;
}

/** Opens a connection and sends the headers of an execution whose body never comes. */
function idleExecutionBody(ctx: AttackContext, identifier: string, headers: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port: ctx.server.port }, () => {
      socket.write(
        `POST /executions?api-version=${GEN2}&identifier=${identifier} HTTP/1.1\r\nHost: 127.0.0.1:${ctx.server.port}\r\n` +
          `Authorization: Bearer ${ctx.server.key}\r\nContent-Type: application/json\r\n${headers}\r\n`,
      );
      resolve(socket);
    });
    socket.on('error', () => undefined);
    socket.once('error', reject);
  });
}

describe('the code budget every session shares (default --pending-code-mb 64)', () => {
  const ctx = useAttackPool({ maxSessions: 4, readySessions: 1 });

  it.each([
    ['a declared Content-Length of 32 MB', `Content-Length: ${MAX_BODY_BYTES}\r\n`],
    ['a chunked body (no length)', 'Transfer-Encoding: chunked\r\n'],
  ])("two executions that announce %s and send no byte of it do not refuse another session's small executions", async (_name, headers) => {
    await guarded(ctx, async () => {
      const attacker = ctx.id('budget-idle');
      const sockets: net.Socket[] = [];
      try {
        for (let index = 0; index < 2; index++) sockets.push(await idleExecutionBody(ctx, attacker, headers));
        const refusals = await bystanderRefusals(ctx, ctx.id('budget-bystander'), 5_000);
        expect(refusals, "a bystander's small executions while two bodies of nothing held the budget").toEqual([]);
      } finally {
        for (const socket of sockets) socket.destroy();
      }
    });
  }, 120_000);

  it("one session's two asynchronous 32 MB executions, the second queued behind the first, do not refuse another session's small executions", async () => {
    await guarded(ctx, async () => {
      const attacker = ctx.id('budget-queued');
      try {
        // Two bodies of exactly the largest size an execution may send (together, the whole default
        // budget): the first sleeps, so the second waits behind it with its code.
        const wrapper = (code: string) => JSON.stringify({ codeInputType: 'Inline', executionType: 'Asynchronous', code, timeoutInSeconds: 60 });
        const padded = (code: string) => wrapper(`${code}\n#${'a'.repeat(MAX_BODY_BYTES - Buffer.byteLength(wrapper(`${code}\n#`)))}`);
        for (const [index, code] of ['import time\ntime.sleep(40)', '1'].entries()) {
          const body = padded(code);
          expect(Buffer.byteLength(body)).toBe(MAX_BODY_BYTES);
          const answer = await ctx.client.request('/executions', {
            method: 'POST',
            query: { 'api-version': GEN2, identifier: attacker },
            headers: { 'content-type': 'application/json' },
            body,
            timeoutMs: 60_000,
            keepBytes: 4096,
          });
          expect(answer.status, `asynchronous execution ${index}: ${answer.text.slice(0, 300)}`).toBe(202);
        }
        const refusals = await bystanderRefusals(ctx, ctx.id('budget-bystander'), 5_000);
        expect(refusals, "a bystander's small executions while another session's queued code held the budget").toEqual([]);
      } finally {
        await ctx.client.deleteSession(attacker, 30_000).catch(() => undefined);
      }
    });
  }, 150_000);
});

describe('network attacks with egress on: what slirp4netns and the rules in the session leave reachable', () => {
  const ctx = useAttackPool({ egress: true, maxSessions: 6, readySessions: 2, memoryMb: 256 });
  const listeners: Listener[] = [];

  beforeAll(async () => {
    listeners.push(await listenTcp('127.0.0.1'));
    for (const host of hostAddresses()) listeners.push(await listenTcp(host));
  }, 60_000);
  afterAll(async () => {
    await Promise.all(listeners.map((listener) => listener.close()));
  });

  it("cannot reach the host through slirp4netns's own addresses, metadata, IPv6 or UDP, nor change the rules or routes", async () => {
    await guarded(ctx, async () => {
      const ports = [ctx.server.port, ...listeners.map((listener) => listener.port!)];
      const found = await ctx.probe<{ connected: string[]; udp: string[]; v6: string[]; changed: string[]; sockets: string[] }>(
        ctx.id('egress'),
        String.raw`
import json, socket, subprocess
ports = ${JSON.stringify(ports)}
connected, udp, v6, changed, sockets = [], [], [], [], []
def tcp(family, host, port):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(3)
    try:
        s.connect((host, port))
        return True
    except OSError:
        return False
    finally:
        s.close()
# 10.0.2.2 is slirp4netns's gateway (the host's loopback unless --disable-host-loopback); 10.0.2.3 its DNS.
for host in ["10.0.2.2", "10.0.2.3", "169.254.169.254", "127.0.0.1", "0.0.0.0"]:
    for port in ports + [22, 80]:
        if tcp(socket.AF_INET, host, port):
            connected.append("%s:%d" % (host, port))
for host in ["::1", "::ffff:127.0.0.1", "::ffff:10.0.2.2", "fd00::2", "fec0::3"]:
    for port in ports:
        try:
            if tcp(socket.AF_INET6, host, port):
                v6.append("[%s]:%d" % (host, port))
        except OSError:
            pass
for host, port in [("10.0.2.2", 53), ("10.0.2.3", 123), ("169.254.169.254", 80), ("192.168.0.1", 53)]:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.sendto(b"x", (host, port))
        udp.append("%s:%d" % (host, port))
    except OSError:
        pass
    finally:
        s.close()
for argv in [["/usr/sbin/nft", "flush", "ruleset"], ["/usr/sbin/ip", "route", "add", "10.0.2.2/32", "dev", "lo"], ["/usr/sbin/ip", "link", "set", "tap0", "down"]]:
    try:
        if subprocess.run(argv, capture_output=True, timeout=10).returncode == 0:
            changed.append(" ".join(argv))
    except (OSError, subprocess.SubprocessError):
        pass
for args in [(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP), (socket.AF_PACKET, socket.SOCK_RAW, 0), (socket.AF_NETLINK, socket.SOCK_RAW, 12)]:
    try:
        socket.socket(*args).close()
        sockets.append(repr(args))
    except OSError:
        pass
json.dumps({"connected": connected, "udp": udp, "v6": v6, "changed": changed, "sockets": sockets})
`,
        { timeoutInSeconds: 120, httpTimeoutMs: 180_000 },
      );
      expect.soft(found.connected, 'TCP destinations reached (the DNS forwarder on 10.0.2.3:53 is the one allowed)').toEqual([]);
      expect.soft(found.v6, 'IPv6 destinations reached').toEqual([]);
      expect.soft(found.udp, 'UDP datagrams to refused destinations that were sent').toEqual([]);
      expect.soft(found.changed, 'network changes the session made').toEqual([]);
      expect.soft(found.sockets, 'raw, packet or netfilter sockets opened').toEqual([]);
      expect.soft(listeners.map((listener) => listener.connections()).reduce((a, b) => a + b, 0), 'connections the host listeners accepted').toBe(0);
    });
  }, 240_000);
});

/**
 * slirp4netns answers DNS on 10.0.2.3 by forwarding to the first nameserver of the host's
 * /etc/resolv.conf. On hosts whose resolver listens on loopback (systemd-resolved's 127.0.0.53,
 * a local dnsmasq), that is a service on the host's loopback. The pool here runs in a mount
 * namespace of its own whose /etc/resolv.conf names 127.53.0.1, where this test listens.
 */
/** Starts `pool serve` with `args` under `prefix` (a command that ends by running the rest of its argv); answers a client and a stop function. */
async function startPoolUnder(prefix: string[], args: string[], env: Record<string, string>, key: string): Promise<{ client: PoolClient; stop: () => Promise<void> }> {
  const child = spawn(prefix[0]!, [...prefix.slice(1), process.execPath, ...args], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-8192);
  });
  const url = await new Promise<string>((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => reject(new Error(`the pool did not start within 120 s: ${stderr}`)), 120_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      const line = /^(http:\/\/\S+)\n/.exec(stdout);
      if (line) {
        clearTimeout(timer);
        resolve(line[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the pool exited (${code}): ${stderr}`));
    });
  });
  const client = new PoolClient(url, key);
  const stop = async () => {
    client.close();
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  };
  return { client, stop };
}

const canUnshare = process.getuid?.() === 0 && spawnSync('unshare', ['--version']).status === 0;

/** The first of the host's own addresses, where the second case's upstream resolver listens. */
const upstreamAddress = hostAddresses()[0];

describe.skipIf(!canUnshare).each([
  ['with no upstream it knows of', undefined],
  ["with systemd-resolved's upstream list naming a server on this machine's own address", upstreamAddress],
])("egress on, on a host whose resolver listens on loopback (systemd-resolved's 127.0.0.53, dnsmasq), %s", (_name, upstream) => {
  const RESOLVER = '127.53.0.1';
  const upstreamReached: string[] = [];
  let upstreamTcp: net.Server | undefined;
  let upstreamUdp: dgram.Socket | undefined;
  let canary: Canary;
  let client: PoolClient;
  let stop: (() => Promise<void>) | undefined;
  let tcp: net.Server;
  let udp: dgram.Socket;
  const reached: string[] = [];

  beforeAll(async () => {
    await ensureBuilt();
    canary = await plantCanary();
    tcp = net.createServer((socket) => {
      reached.push('tcp');
      socket.on('error', () => undefined);
      socket.end('host-loopback-resolver');
    });
    await new Promise<void>((resolve, reject) => tcp.once('error', reject).listen(53, RESOLVER, () => resolve()));
    udp = dgram.createSocket('udp4');
    udp.on('message', (_message, from) => {
      reached.push('udp');
      udp.send('host-loopback-resolver', from.port, from.address);
    });
    await new Promise<void>((resolve, reject) => udp.once('error', reject).bind(53, RESOLVER, () => resolve()));
    const resolvConf = path.join(canary.root, 'resolv.conf');
    await writeFile(resolvConf, `nameserver ${RESOLVER}\n`, { mode: 0o644 });
    const upstreams = path.join(canary.root, 'upstreams.conf');
    await writeFile(upstreams, upstream ? `nameserver ${upstream}\n` : '', { mode: 0o644 });
    if (upstream) {
      upstreamTcp = net.createServer((socket) => {
        upstreamReached.push('tcp');
        socket.on('error', () => undefined);
        socket.end('upstream-resolver');
      });
      await new Promise<void>((resolve, reject) => upstreamTcp!.once('error', reject).listen(53, upstream, () => resolve()));
      upstreamUdp = dgram.createSocket('udp4');
      upstreamUdp.on('message', (_message, from) => {
        upstreamReached.push('udp');
        upstreamUdp!.send('upstream-resolver', from.port, from.address);
      });
      await new Promise<void>((resolve, reject) => upstreamUdp!.once('error', reject).bind(53, upstream, () => resolve()));
    }
    const key = `attack-key-${Date.now()}`;
    const args = serverArgs({ egress: true, maxSessions: 4, readySessions: 1, memoryMb: 256 }, key);
    // The pool's own mount namespace: the host's resolv.conf names the loopback resolver, and
    // systemd-resolved's upstream list (in a tmpfs over /run/systemd) names the upstream, if any.
    const setup = 'mount --bind "$0" /etc/resolv.conf && mkdir -p /run/systemd && mount -t tmpfs tmpfs /run/systemd && mkdir /run/systemd/resolve && if [ -s "$1" ]; then cp "$1" /run/systemd/resolve/resolv.conf; fi && shift && exec "$@"';
    ({ client, stop } = await startPoolUnder(['unshare', '-m', '--propagation', 'private', 'sh', '-c', setup, resolvConf, upstreams], args, serverEnv(canary), key));
  }, 180_000);

  afterAll(async () => {
    await stop?.();
    tcp?.close();
    udp?.close();
    upstreamTcp?.close();
    upstreamUdp?.close();
    await canary?.dispose();
  }, 60_000);

  it("a session's DNS forwarder (10.0.2.3:53) does not carry its TCP or UDP to the host's loopback resolver", async () => {
    const run = await client.exec2(
      `dns-loopback-${upstream ? 'upstream' : 'none'}`,
      String.raw`
import json, socket
got = {}
s = socket.socket()
s.settimeout(5)
try:
    s.connect(("10.0.2.3", 53))
    s.sendall(b"\x00\x05hello")
    got["tcp"] = s.recv(64).decode("latin1")
except OSError as exc:
    got["tcp"] = "refused: " + str(exc)
finally:
    s.close()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.settimeout(5)
try:
    u.sendto(b"hello", ("10.0.2.3", 53))
    got["udp"] = u.recvfrom(64)[0].decode("latin1")
except OSError as exc:
    got["udp"] = "refused: " + str(exc)
finally:
    u.close()
json.dumps(got)
`,
      { timeoutInSeconds: 60, httpTimeoutMs: 120_000 },
    );
    expect(run.ok, `the probe cell: ${run.stderr.slice(-500)}`).toBe(true);
    const got = JSON.parse(String(run.result)) as { tcp: string; udp: string };
    expect.soft(Object.values(got).filter((answer) => answer.includes('host-loopback-resolver')), `what the session read back: ${JSON.stringify(got)}`).toEqual([]);
    expect.soft(reached, "TCP connections and UDP datagrams that reached the host's loopback resolver").toEqual([]);
    // With an upstream to use, DNS still works: both queries reach it instead.
    if (upstream) expect.soft({ got, upstreamReached: [...upstreamReached].sort() }, 'what the upstream resolver received').toEqual({ got: { tcp: 'upstream-resolver', udp: 'upstream-resolver' }, upstreamReached: ['tcp', 'udp'] });
  }, 180_000);
});

/**
 * The pool run by an ordinary user (here `nobody`, through setpriv): every session runs as the
 * server's own uid, so the server's files and environment are the ones a session could most
 * easily reach. docs/security.md promises other sessions' files, processes and namespaces, and
 * the host's files and environment, even so.
 */
const NOBODY = 65534;
const canDropRoot = process.getuid?.() === 0 && spawnSync('setpriv', ['--version']).status === 0;

describe.skipIf(!canDropRoot)('a pool run by an unprivileged user (sessions share its uid)', () => {
  let canary: Canary;
  let client: PoolClient;
  let stop: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    await ensureBuilt();
    canary = await plantCanary();
    // The server's own home, temporary directory and secret file: owned by the uid the sessions share.
    for (const entry of [canary.root, canary.home, canary.tmp, canary.homeFilePath]) await chown(entry, NOBODY, NOBODY);
    const key = `attack-key-${Date.now()}`;
    const args = serverArgs({ maxSessions: 4, readySessions: 1, memoryMb: 256 }, key);
    ({ client, stop } = await startPoolUnder(['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups'], args, serverEnv(canary), key));
  }, 180_000);
  afterAll(async () => {
    await stop?.();
    await canary?.dispose();
  }, 60_000);

  it("cannot read the server's files or environment, nor another session's files or processes, and one session's processes leave the others able to fork", async () => {
    const secret = `other-session-${Date.now()}`;
    const other = await client.exec2('unpriv-other', `import subprocess\nopen("/mnt/data/other.txt", "w").write(${JSON.stringify(secret)})\nkeep = subprocess.Popen(["sleep", "120"])\nkeep.pid`, { timeoutInSeconds: 30 });
    expect(other.ok, `the other session: ${other.stderr.slice(-500)}`).toBe(true);
    const hogs = await client.exec2(
      'unpriv-hog',
      'import os, time\nkids = []\nwhile True:\n    try:\n        pid = os.fork()\n    except OSError:\n        break\n    if pid == 0:\n        time.sleep(120)\n        os._exit(0)\n    kids.append(pid)\nlen(kids)',
      { timeoutInSeconds: 60 },
    );
    expect(hogs.ok, `the session that forks until refused: ${hogs.stderr.slice(-500)}`).toBe(true);
    expect(hogs.result, 'children the forking session made before it was refused').toBeGreaterThan(50);
    const probe = await client.exec2(
      'unpriv-attacker',
      String.raw`
import json, os, subprocess
found = {"readable": [], "pids": [], "environ": []}
secret = ${JSON.stringify(secret)}
needles = ${JSON.stringify([...canary.needles, secret])}
for path in [${JSON.stringify(canary.homeFilePath)}, ${JSON.stringify(canary.home)}, ${JSON.stringify(canary.tmp)}, "/proc/1/environ", "/proc/1/root/mnt/data", "/proc/1/cwd"]:
    try:
        data = os.listdir(path) if os.path.isdir(path) else open(path, "rb").read(4096)
        found["readable"].append(path)
    except OSError:
        pass
found["pids"] = sorted(int(name) for name in os.listdir("/proc") if name.isdigit())
found["environ"] = [name for name in os.environ if any(needle in os.environ[name] for needle in needles)]
grep = subprocess.run(["grep", "-rlsF", "-e", secret, "-e", needles[0], "/mnt", "/tmp", "/root", "/run", "/dev/shm", "/etc"], capture_output=True, text=True, timeout=60)
found["grep"] = grep.stdout.split()
found["fork"] = subprocess.run(["true"]).returncode
json.dumps(found)
`,
      { timeoutInSeconds: 90, httpTimeoutMs: 150_000 },
    );
    expect(probe.ok, `the attacker's probe: ${probe.stderr.slice(-500)}`).toBe(true);
    const found = JSON.parse(String(probe.result)) as { readable: string[]; pids: number[]; environ: string[]; grep: string[]; fork: number };
    expect.soft(found.readable, "the server's files, PID 1's environment and root the session could read").toEqual([]);
    expect.soft(found.pids.length, `processes the session sees (${found.pids.join(', ')})`).toBeLessThanOrEqual(4);
    expect.soft(found.environ, 'variables carrying a canary').toEqual([]);
    expect.soft(found.grep, "files holding another session's or the server's secret").toEqual([]);
    expect.soft(found.fork, 'a child process in a third session while another holds all it may fork').toBe(0);
    const after = await client.exec2('unpriv-other', 'open("/mnt/data/other.txt").read()', { timeoutInSeconds: 30 });
    expect.soft(after.result, "the other session's file afterwards").toBe(secret);
  }, 240_000);
});
