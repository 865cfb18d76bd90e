import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PoolSessionManager } from '../../../src/pool/runtime/index.js';
import { SANDBOX_PYTHON_DIR } from '../../../src/pool/runtime/zygote-command.js';
import os from 'node:os';
import { createTestManager, run } from './helpers.js';
import { startTestHost, type TestHost } from './test-host.js';

const SECRET_ENV = 'TIDEPOOL_TEST_SERVER_SECRET';

async function listen(host = '127.0.0.1'): Promise<{ port: number; connections: () => number; close: () => Promise<void> }> {
  let count = 0;
  const server = net.createServer((socket) => {
    count++;
    socket.end('hi');
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as net.AddressInfo).port;
  return { port, connections: () => count, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

const connectCode = (port: number, host = '127.0.0.1') =>
  `import socket\ntry:\n    result = socket.create_connection((${JSON.stringify(host)}, ${port}), timeout=3).recv(2).decode()\nexcept OSError as e:\n    result = type(e).__name__\nresult`;

function hostAddresses(): string[] {
  return Object.values(os.networkInterfaces())
    .flatMap((addresses) => addresses ?? [])
    .filter((address) => address.family === 'IPv4')
    .map((address) => address.address);
}

describe('pool runtime isolation (bwrap, egress off)', () => {
  let manager: PoolSessionManager;
  const hostFiles = [`/root/tidepool-secret-${randomBytes(4).toString('hex')}`, `/tmp/tidepool-secret-${randomBytes(4).toString('hex')}`];

  beforeAll(async () => {
    process.env[SECRET_ENV] = 'do-not-leak';
    for (const file of hostFiles) await writeFile(file, 'host secret');
    manager = createTestManager({ maxSessions: 10 });
    await manager.start();
  });
  afterAll(async () => {
    delete process.env[SECRET_ENV];
    await manager.close();
    for (const file of hostFiles) await rm(file, { force: true });
  });

  it('cannot read host files under /root or /tmp', async () => {
    for (const file of hostFiles) {
      const outcome = await run(manager, 'iso', `import os\nos.path.exists(${JSON.stringify(file)})`);
      expect(outcome.response.result).toBe(false);
    }
    const outcome = await run(manager, 'iso', `open(${JSON.stringify(hostFiles[0])}).read()`);
    expect(outcome.response.error?.type).toBe('FileNotFoundError');
  });

  it("cannot see another session's files or processes", async () => {
    await run(manager, 'owner', "open('/mnt/data/mine.txt', 'w').write('private')\nimport subprocess\np = subprocess.Popen(['sleep', '30'])");
    const peek = await run(manager, 'peeker', "import os\n(os.listdir('/mnt/data'), sorted(int(p) for p in os.listdir('/proc') if p.isdigit()))");
    // Only its own PID 1 (1) and kernel (2).
    expect(peek.response.result).toBe('([], [1, 2])');
    await run(manager, 'owner', 'p.kill()');
  });

  it('cannot reach into its PID 1, an idle program with no privilege that ignores its signals', async () => {
    // PID 1 runs as the same host uid as user code but in the user namespace above the kernel's:
    // without CAP_SYS_PTRACE there, user code may not ptrace it nor read its memory, environment,
    // descriptors or root. What /proc shows of it to anyone: an idle program with no capabilities,
    // no_new_privs, the kernel's seccomp filter and no signal handler.
    const probe = [
      'import ctypes, os, re',
      'libc = ctypes.CDLL(None, use_errno=True)',
      'def denied(action):',
      '    try:',
      '        action()',
      '        return False',
      '    except PermissionError:',
      '        return True',
      "attached = libc.ptrace(16, 1, 0, 0)  # PTRACE_ATTACH",
      "errno = ctypes.get_errno()",
      "status = open('/proc/1/status').read()",
      "field = lambda name: re.search(rf'^{name}:\\s*(\\S+)', status, re.M).group(1)",
      "reach = [denied(lambda: os.readlink('/proc/1/fd/0')), denied(lambda: os.readlink('/proc/1/root')), denied(lambda: open('/proc/1/environ', 'rb').read()), denied(lambda: open('/proc/1/mem', 'rb')), attached, errno]",
      "repr((reach, open('/proc/1/comm').read().strip(), open('/proc/1/cmdline', 'rb').read(), [field(n) for n in ('CapPrm', 'CapEff', 'CapBnd', 'CapAmb', 'NoNewPrivs', 'Seccomp', 'SigCgt')]))",
    ].join('\n');
    // PID 1 execs once the zygote has reaped the setup process, which may come after the first
    // cell; until then it is the Python process that set the session up (as out of reach).
    await expect.poll(async () => (await run(manager, 'pid1', "open('/proc/1/comm').read().strip()")).response.result, { timeout: 10_000 }).toBe('tidepool-init');
    const outcome = await run(manager, 'pid1', probe);
    const zero = '0000000000000000';
    expect(outcome.response.result).toBe(
      `([True, True, True, True, -1, 1], 'tidepool-init', b'tidepool-init\\x00infinity\\x00', ['${zero}', '${zero}', '${zero}', '${zero}', '1', '2', '${zero}'])`,
    );
    for (const signal of ['SIGKILL', 'SIGTERM', 'SIGINT', 'SIGSTOP']) {
      const cell = `import os, signal, time\nos.kill(1, signal.${signal})\ntime.sleep(0.2)\nos.kill(1, 0)\n'still here'`;
      expect((await run(manager, 'pid1', cell)).response.result, signal).toBe('still here');
    }
    // Still asleep, not stopped.
    expect((await run(manager, 'pid1', "open('/proc/1/stat').read().split()[2]")).response.result).toBe('S');
    // What PID 1 execs cannot be changed by user code (it may run before PID 1's exec).
    const link = await run(manager, 'pid1', [
      'import errno, os',
      `link = '${SANDBOX_PYTHON_DIR}/tidepool-init'`,
      'outcomes = []',
      "for action in (lambda: os.remove(link), lambda: os.rename(link, link + '.old'), lambda: open(link + '.new', 'w')):",
      '    try:',
      '        action()',
      "        outcomes.append('allowed')",
      '    except OSError as error:',
      '        outcomes.append(errno.errorcode[error.errno])',
      '(os.readlink(link), outcomes)',
    ].join('\n'));
    expect(link.response.result).toBe("('/usr/bin/sleep', ['EROFS', 'EROFS', 'EROFS'])");
  });

  it('has none of the server environment', async () => {
    const outcome = await run(manager, 'env', 'import os, json\njson.dumps(dict(os.environ))');
    const env = JSON.parse(outcome.response.result as string) as Record<string, string>;
    expect(env[SECRET_ENV]).toBeUndefined();
    const sessionNames = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'PYTHONIOENCODING', 'PYTHONDONTWRITEBYTECODE', 'PYTHONUNBUFFERED', 'MPLBACKEND', 'MPLCONFIGDIR', 'OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'TIDEPOOL_DATA_DIR'];
    expect(Object.keys(env).filter((name) => !sessionNames.includes(name))).toEqual([]);
    expect(env.HOME).toBe('/root');
    expect(env.TIDEPOOL_DATA_DIR).toBe('/mnt/data');
  });

  it('cannot connect to a port on the host loopback when egress is off', async () => {
    const server = await listen();
    try {
      const outcome = await run(manager, 'net', connectCode(server.port));
      expect(outcome.response.result).toMatch(/Error/);
      expect(server.connections()).toBe(0);
    } finally {
      await server.close();
    }
  });

  it('contains a fork bomb and keeps answering other sessions', async () => {
    const bomb = 'import os, time\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        time.sleep(0.05)';
    const exploding = manager.execute('bomb', bomb, { timeoutMs: 3_000 });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect((await run(manager, 'bystander', '6 * 7')).response.result).toBe(42);
    await exploding;
    const count = await run(manager, 'bomb', "import os\nlen([p for p in os.listdir('/proc') if p.isdigit()])");
    expect(count.response.result as number).toBeLessThanOrEqual(32);
    // The host can still fork.
    expect(spawnSync('true').status).toBe(0);
    expect(await manager.deleteSession('bomb')).toBe(true);
  });

  it('contains a memory bomb to the session: its cgroup ends it as root, else a MemoryError', async () => {
    await run(manager, 'memory', 'survivor = 1');
    const bomb = run(manager, 'memory', 'blocks = []\nwhile True:\n    blocks.append(bytearray(16 * 1024 * 1024))');
    if (process.getuid?.() === 0) {
      await expect(bomb).rejects.toMatchObject({ code: 'session_lost', message: expect.stringMatching(/SIGKILL: out of memory/) });
      const next = await run(manager, 'memory', "'survivor' in globals()");
      expect(next.freshKernel).toBe(true);
    } else {
      expect((await bomb).response.error?.type).toBe('MemoryError');
      expect((await run(manager, 'memory', 'del blocks\nsurvivor')).response.result).toBe(1);
    }
    expect((await run(manager, 'bystander', '1')).response.result).toBe(1);
  });

  it('contains a disk fill to the session tmpfs', async () => {
    const outcome = await run(manager, 'diskfill', "with open('/mnt/data/f', 'wb') as f:\n    while True:\n        f.write(b'x' * 1024 * 1024)");
    expect(outcome.response.error?.type).toMatch(/OSError/);
    const tmp = await run(manager, 'diskfill', "with open('/tmp/f', 'wb') as f:\n    while True:\n        f.write(b'x' * 1024 * 1024)");
    expect(tmp.response.error?.type).toMatch(/OSError/);
    expect((await run(manager, 'bystander', '2')).response.result).toBe(2);
  });
});

describe.skipIf(process.getuid?.() !== 0)('pool runtime egress on (root)', () => {
  let manager: PoolSessionManager;
  let testHost: TestHost;

  beforeAll(async () => {
    // A host of the test's own, in a network namespace it makes: the "internet" a session may reach.
    testHost = await startTestHost();
    manager = createTestManager({ egress: true, readySessions: 1 });
    await manager.start();
  }, 60_000);
  afterAll(async () => {
    await manager?.close();
    await testHost?.close();
  });

  it('reaches an outside host through its own NAT', async () => {
    const outcome = await run(manager, 'net', connectCode(testHost.port, testHost.address));
    expect(outcome.response.result).toBe('hi');
  });

  it("reaches neither the host's loopback nor the host's own addresses", async () => {
    const server = await listen('0.0.0.0');
    try {
      for (const address of ['127.0.0.1', '10.0.2.2', testHost.hostSideAddress, ...hostAddresses()]) {
        const outcome = await run(manager, 'net', connectCode(server.port, address));
        expect(outcome.response.result, address).toMatch(/Error/);
      }
      expect(server.connections()).toBe(0);
    } finally {
      await server.close();
    }
  });

  it('reaches an address of this machine only at the exact address and port an operator allowed', async () => {
    const address = hostAddresses().find((candidate) => !candidate.startsWith('127.'));
    if (!address) return; // a machine with loopback only has no such address to allow
    const allowed = await listen(address);
    const other = await listen(address);
    const allowing = createTestManager({ egress: true, egressAllow: [`${address}:${allowed.port}`], readySessions: 0 });
    try {
      expect((await run(allowing, 'allow', connectCode(allowed.port, address))).response.result).toBe('hi');
      expect((await run(allowing, 'allow', connectCode(other.port, address))).response.result).toMatch(/Error/);
      expect(other.connections()).toBe(0);
    } finally {
      await allowing.close();
      await allowed.close();
      await other.close();
    }
  });

  it("has a network namespace of its own (no host interfaces, no host abstract sockets)", async () => {
    const abstractName = `tidepool-test-${randomBytes(4).toString('hex')}`;
    const abstract = net.createServer((socket) => socket.end('leak')).listen(`\0${abstractName}`);
    try {
      const code = [
        'import socket, os',
        's = socket.socket(socket.AF_UNIX)',
        'try:',
        `    s.connect("\\0${abstractName}")`,
        "    reached = 'reached'",
        'except OSError as e:',
        '    reached = type(e).__name__',
        "(sorted(os.listdir('/sys/class/net')) if os.path.exists('/sys/class/net') else sorted(n for _, n in socket.if_nameindex()), reached)",
      ].join('\n');
      const outcome = await run(manager, 'ns', code);
      expect(outcome.response.result).toBe("(['lo', 'tap0'], 'ConnectionRefusedError')");
    } finally {
      abstract.close();
    }
  });
});
