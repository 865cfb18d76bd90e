/**
 * The attack suite's relevant attacks, written in JavaScript against a NodeLTS pool: the same
 * isolation must hold when the hostile code runs in Node.js. Host files and canaries, /proc, the
 * network, privileges, another session, processes left behind, attacks on the server through the
 * kernel's output and socket, the session's limits, signals, the inspector, native code and the
 * sandbox's `node` binary. After every test the server still serves, a victim session kept its
 * variable and file, and no answer held a canary (see support/node.ts).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, realpath, rm, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomId } from './support/client.js';
import { describeExecution } from './support/fixture.js';
import { expectStateKept, expectStateLost, js, jsProbe, plantGlobal, useNodePool } from './support/node.js';

const MB = 1024 * 1024;
const MEMORY_MB = 256;

/** JavaScript that counts the session's processes whose command is `name`, waiting up to 10 s for none to be left. */
function countProcesses(name: string): string {
  return `const fs = require('fs');
const count = () => fs.readdirSync('/proc').filter((pid) => /^\\d+$/.test(pid)).filter((pid) => {
  try { return fs.readFileSync('/proc/' + pid + '/cmdline', 'utf8').split('\\0')[0] === ${JSON.stringify(name)}; } catch { return false; }
}).length;
const deadline = Date.now() + 10_000;
while (count() > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
count()`;
}

/** A C compiler on the machine running the tests, for the native-code attack. */
const CC = ['cc', 'gcc'].find((compiler) => spawnSync(compiler, ['--version']).status === 0);

/**
 * A shared object whose constructor tries, each in a child of its own (a seccomp filter may kill
 * the caller), what only native code can ask the kernel for, and writes each outcome (0 allowed,
 * an errno, or the signal that ended the child) to /mnt/data/native-report.json.
 */
const NATIVE_SOURCE = String.raw`
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static long try_unshare_user(void) { return unshare(CLONE_NEWUSER); }
static long try_unshare_mount(void) { return unshare(CLONE_NEWNS); }
static long try_unshare_net(void) { return unshare(CLONE_NEWNET); }
static long try_mount(void) { return mount("tmpfs", "/tmp", "tmpfs", 0, NULL); }
static long try_ptrace(void) { return ptrace(PTRACE_ATTACH, 1, NULL, NULL); }
static long try_io_uring(void) { char params[120] = {0}; return syscall(SYS_io_uring_setup, 8, params); }
static long try_userfaultfd(void) { return syscall(SYS_userfaultfd, 0); }
static long try_packet_socket(void) { return socket(17 /* AF_PACKET */, SOCK_RAW, 0x0300); }
static long try_kexec(void) { return syscall(SYS_kexec_load, 0, 0, 0, 0); }
static long try_init_module(void) { return syscall(SYS_init_module, 0, 0, ""); }
static long try_add_key(void) { return syscall(SYS_add_key, "user", "attack", "payload", 7, -2); }
static long try_setns(void) { return syscall(SYS_setns, 0, CLONE_NEWNET); }

static const struct { const char *name; long (*call)(void); } calls[] = {
  {"unshare(CLONE_NEWUSER)", try_unshare_user}, {"unshare(CLONE_NEWNS)", try_unshare_mount},
  {"unshare(CLONE_NEWNET)", try_unshare_net}, {"mount(tmpfs)", try_mount},
  {"ptrace(PTRACE_ATTACH, 1)", try_ptrace}, {"io_uring_setup", try_io_uring},
  {"userfaultfd", try_userfaultfd}, {"socket(AF_PACKET)", try_packet_socket},
  {"kexec_load", try_kexec}, {"init_module", try_init_module}, {"add_key", try_add_key},
  {"setns", try_setns},
};

__attribute__((constructor)) static void attack(void) {
  FILE *report = fopen("/mnt/data/native-report.json", "w");
  if (!report) return;
  fputs("{", report);
  for (unsigned i = 0; i < sizeof calls / sizeof calls[0]; i++) {
    pid_t pid = fork();
    if (pid == 0) {
      errno = 0;
      long result = calls[i].call();
      _exit(result == -1 ? (errno & 0x7f) : 0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    if (WIFSIGNALED(status)) fprintf(report, "%s\"%s\": \"signal %d\"", i ? ", " : "", calls[i].name, WTERMSIG(status));
    else fprintf(report, "%s\"%s\": %d", i ? ", " : "", calls[i].name, WEXITSTATUS(status));
  }
  fputs("}", report);
  fclose(report);
}
`;

/** errno values that mean "not allowed here": EPERM, EACCES, ENOSYS, EAFNOSUPPORT, EROFS. */
const DENIED_ERRNOS = [1, 13, 38, 97, 30];

/** GET on the host, for what a session might have opened to it; the error's code when nothing answers. */
function hostGet(url: string): Promise<string> {
  return new Promise((resolve) => {
    const request = http.get(url, { timeout: 5_000 }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      response.on('end', () => resolve(body));
    });
    request.on('timeout', () => request.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    request.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

async function sha256(file: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(file))
    .digest('hex');
}

describe('attacks on a NodeLTS pool (egress off, 256 MB per session)', () => {
  const pool = useNodePool({ readySessions: 1, maxSessions: 8, memoryMb: MEMORY_MB, egress: false });

  it("cannot read the server's canary file, environment or temporary directory, through paths or /proc", async () => {
    const { canary } = pool;
    const found = await jsProbe<Record<string, unknown>>(
      pool.client,
      randomId('attacker'),
      `const fs = require('fs');
// Only error codes: an error's message would repeat the (secret) path.
const read = (file) => { try { return fs.readFileSync(file, 'utf8'); } catch (error) { return error.code; } };
const list = (dir) => { try { return fs.readdirSync(dir); } catch (error) { return error.code; } };
const pids = fs.readdirSync('/proc').filter((pid) => /^\\d+$/.test(pid));
const canaryNames = [];
const walk = (dir, depth) => {
  let entries = [];
  try { entries = fs.readdirSync(dir, { withFileTypes: true }); } catch { return; }
  for (const entry of entries) {
    if (entry.name.startsWith('.canary-')) canaryNames.push(dir + '/' + entry.name);
    if (entry.isDirectory() && depth < 6) walk(dir + '/' + entry.name, depth + 1);
  }
};
for (const dir of ['/root', '/tmp', '/home', '/run', '/mnt', '/etc', '/dev/shm', '/var', '/opt', '/srv']) walk(dir, 0);
JSON.stringify({
  homeFile: read(${JSON.stringify(canary.homeFilePath)}),
  home: list(${JSON.stringify(canary.home)}),
  tmp: list(${JSON.stringify(canary.tmp)}),
  env: process.env,
  environs: pids.map((pid) => read('/proc/' + pid + '/environ')),
  throughRoots: pids.map((pid) => read('/proc/' + pid + '/root' + ${JSON.stringify(canary.homeFilePath)})),
  canaryNames,
})`,
    );
    expect(found.homeFile).toBe('ENOENT');
    expect(found.home).toBe('ENOENT');
    expect(found.tmp).toBe('ENOENT');
    expect(found.canaryNames).toEqual([]);
    expect(JSON.stringify(found)).not.toContain(canary.envSecret);
    expect(JSON.stringify(found)).not.toContain(canary.homeFileContent);
    expect(Object.keys(found.env as object).sort()).toEqual(['HOME', 'LANG', 'LC_ALL', 'PATH', 'TIDEPOOL_DATA_DIR']);
  }, 120_000);

  it("sees only its own session in /proc, cannot open PID 1's descriptors, memory or environment, and holds only the kernel's socket and output files", async () => {
    const seen = await jsProbe<{ pids: string[]; pid1: Record<string, string> & { fdNumbers: string }; fds: string[] }>(
      pool.client,
      randomId('attacker'),
      `const fs = require('fs');
const attempt = (what) => { try { what(); return 'allowed'; } catch (error) { return error.code; } };
JSON.stringify({
  pids: fs.readdirSync('/proc').filter((pid) => /^\\d+$/.test(pid)),
  pid1: {
    environ: attempt(() => fs.readFileSync('/proc/1/environ')),
    mem: attempt(() => fs.closeSync(fs.openSync('/proc/1/mem', 'r'))),
    fd: attempt(() => fs.readlinkSync('/proc/1/fd/0')),
    fdNumbers: (() => { try { return fs.readdirSync('/proc/1/fd').join(','); } catch (error) { return error.code; } })(),
    root: attempt(() => fs.readdirSync('/proc/1/root')),
    writeMem: attempt(() => fs.closeSync(fs.openSync('/proc/1/mem', 'r+'))),
  },
  fds: fs.readdirSync('/proc/self/fd').map((fd) => { try { return fs.readlinkSync('/proc/self/fd/' + fd); } catch { return null; } }).filter(Boolean),
})`,
    );
    // PID 1 (the session's idle init) and the kernel: nothing of the host or of other sessions.
    expect(seen.pids).toEqual(['1', '2']);
    // PID 1 runs as the same host uid, so its descriptor numbers can be listed (0-2, /dev/null), but
    // it is in the user namespace above the kernel's: nothing of it can be opened or followed.
    const { fdNumbers, ...reach } = seen.pid1;
    expect(fdNumbers).toMatch(/^(0,1,2|EACCES|EPERM)$/);
    for (const [what, outcome] of Object.entries(reach)) expect.soft(outcome, `/proc/1/${what}`).toMatch(/^(EACCES|EPERM)$/);
    // The kernel's own socket and the in-memory files behind stdout and stderr (twice each: as fd 1/2
    // and as the kernel's reading handle); the in-memory files it was started from are closed.
    expect(seen.fds.filter((target) => target.startsWith('socket:'))).toHaveLength(1);
    expect(seen.fds.filter((target) => target.startsWith('/memfd:')).sort()).toEqual(['/memfd:stderr (deleted)', '/memfd:stderr (deleted)', '/memfd:stdout (deleted)', '/memfd:stdout (deleted)']);
    expect(seen.fds.filter((target) => !/^(pipe|socket|anon_inode):|^\/dev\/null$|^\/proc\/\d+\/fd$|^\/memfd:std(out|err) \(deleted\)$/.test(target))).toEqual([]);
  }, 120_000);

  it("reaches no network: only loopback exists, and neither the pool's port, the host nor the internet answers", async () => {
    const host = Object.values(os.networkInterfaces()).flat().find((address) => address && address.family === 'IPv4' && !address.internal)?.address ?? '127.0.0.1';
    const found = await jsProbe<Record<string, unknown>>(
      pool.client,
      randomId('attacker'),
      `const net = require('net');
const connect = (host, port) => new Promise((resolve) => {
  const socket = net.connect({ host, port });
  const timer = setTimeout(() => { socket.destroy(); resolve('timeout'); }, 5000);
  socket.on('connect', () => { clearTimeout(timer); socket.destroy(); resolve('open'); });
  socket.on('error', (error) => { clearTimeout(timer); resolve(error.code); });
});
const lookup = await require('dns').promises.lookup('example.com').then(() => 'resolved', (error) => error.code);
JSON.stringify({
  interfaces: Object.keys(require('os').networkInterfaces()),
  pool: await connect('127.0.0.1', ${pool.server.port}),
  host: await connect(${JSON.stringify(host)}, ${pool.server.port}),
  internet: await connect('1.1.1.1', 53),
  lookup,
})`,
    );
    expect(found.interfaces).toEqual(['lo']);
    expect(found.pool).toBe('ECONNREFUSED');
    expect(found.host).toMatch(/^(ENETUNREACH|EHOSTUNREACH|ECONNREFUSED)$/);
    expect(found.internet).toMatch(/^(ENETUNREACH|EHOSTUNREACH)$/);
    expect(found.lookup).not.toBe('resolved');
  }, 120_000);

  it('holds no capability, runs with no_new_privs under seccomp, and cannot mount or unshare through the tools in /usr', async () => {
    const found = await jsProbe<{ status: string[]; tools: Record<string, number | null> }>(
      pool.client,
      randomId('attacker'),
      `const { spawnSync } = require('child_process');
const status = require('fs').readFileSync('/proc/self/status', 'utf8').split('\\n').filter((line) => /^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs|Seccomp):/.test(line));
const tool = (command, args) => spawnSync(command, args, { stdio: 'ignore' }).status;
JSON.stringify({ status, tools: {
  'mount -t tmpfs': tool('mount', ['-t', 'tmpfs', 'none', '/tmp']),
  'unshare --user': tool('unshare', ['--user', 'true']),
  'unshare --mount': tool('unshare', ['--mount', 'true']),
  'unshare --net': tool('unshare', ['--net', 'true']),
  'chroot': tool('chroot', ['/tmp', '/bin/true']),
} })`,
    );
    for (const line of found.status.filter((entry) => entry.startsWith('Cap'))) expect.soft(line).toMatch(/:\s+0{16}$/);
    expect(found.status).toContain('NoNewPrivs:\t1');
    expect(found.status).toContain('Seccomp:\t2');
    // null: the tool was ended by a signal (the seccomp filter); any non-zero status: refused.
    for (const [command, exitStatus] of Object.entries(found.tools)) expect.soft(exitStatus, command).not.toBe(0);
  }, 120_000);

  it.skipIf(!CC)('runs native code loaded with process.dlopen under the same filter: namespace, mount, ptrace and kernel-facing calls are denied', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tidepool-native-'));
    try {
      await writeFile(path.join(dir, 'attack.c'), NATIVE_SOURCE);
      const built = spawnSync(CC!, ['-shared', '-fPIC', '-O1', '-o', path.join(dir, 'attack.so'), path.join(dir, 'attack.c')], { encoding: 'utf8' });
      expect(built.status, built.stderr).toBe(0);
      const attacker = randomId('attacker');
      await plantGlobal(pool.client, attacker, 'nativeMarker', 'before');
      const upload = await pool.client.upload(attacker, 'attack.so', await readFile(path.join(dir, 'attack.so')));
      expect(upload.status, upload.text).toBe(200);
      const report = await jsProbe<{ loaded: string; report: Record<string, number | string> }>(
        pool.client,
        attacker,
        `let loaded;
try { process.dlopen({ exports: {} }, '/mnt/data/attack.so'); loaded = 'loaded'; } catch (error) { loaded = error.message; }
JSON.stringify({ loaded, report: JSON.parse(require('fs').readFileSync('/mnt/data/native-report.json', 'utf8')) })`,
      );
      // It is not an addon: Node refuses it once its constructor has run.
      expect(report.loaded).toMatch(/did not self-register/);
      expect(Object.keys(report.report)).toHaveLength(12);
      const allowed = Object.entries(report.report).filter(([, outcome]) => !(typeof outcome === 'string' ? /^signal (9|31)$/.test(outcome) : DENIED_ERRNOS.includes(outcome)));
      expect(allowed, 'calls that were not denied (0: allowed, else errno)').toEqual([]);
      await expectStateKept(pool.client, attacker, 'nativeMarker', 'before');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it("cannot find or read another session's files or processes, and leaves that session's variables and files intact", async () => {
    const victim = randomId('victim');
    const secret = `victim-secret-${randomId('s')}`;
    await plantGlobal(pool.client, victim, 'victimSecret', secret);
    const written = await js(pool.client, victim, `require('fs').mkdirSync('/mnt/data/private', { recursive: true });\nrequire('fs').writeFileSync('/mnt/data/private/note-' + victimSecret + '.txt', victimSecret);\n'written'`);
    expect(written.result, describeExecution(written)).toBe('written');
    const found = await jsProbe<{ text: string }>(
      pool.client,
      randomId('attacker'),
      `const fs = require('fs');
const seen = [];
// The first KB of each file is enough to find the secret (and reading /run's node binary whole would cost 100 MB).
const read = (file) => {
  try {
    const fd = fs.openSync(file, 'r');
    const buffer = Buffer.alloc(1024);
    seen.push(buffer.toString('utf8', 0, fs.readSync(fd, buffer)));
    fs.closeSync(fd);
  } catch {}
};
const walk = (dir, depth) => {
  let entries = [];
  try { entries = fs.readdirSync(dir, { withFileTypes: true }); } catch { return; }
  for (const entry of entries) {
    seen.push(dir + '/' + entry.name);
    if (entry.isFile()) read(dir + '/' + entry.name);
    else if (entry.isDirectory() && depth < 4) walk(dir + '/' + entry.name, depth + 1);
  }
};
for (const dir of ['/mnt', '/tmp', '/dev/shm', '/run', '/root']) walk(dir, 0);
for (const pid of fs.readdirSync('/proc').filter((pid) => /^\\d+$/.test(pid))) {
  walk('/proc/' + pid + '/root/mnt/data', 0);
  walk('/proc/' + pid + '/cwd', 0);
  read('/proc/' + pid + '/cmdline');
}
JSON.stringify({ text: seen.join('\\n') })`,
    );
    expect(found.text).not.toContain(secret);
    const after = await js(pool.client, victim, "victimSecret === require('fs').readFileSync('/mnt/data/private/note-' + victimSecret + '.txt', 'utf8')");
    expect(after.result, describeExecution(after)).toBe(true);
  }, 120_000);

  it("cannot reach a server another session listens on, over loopback TCP or an abstract unix socket", async () => {
    const listener = randomId('listener');
    const listening = await js(
      pool.client,
      listener,
      `const net = require('net');
const listen = (server, ...address) => new Promise((resolve, reject) => server.once('error', reject).listen(...address, resolve));
globalThis.servers = [net.createServer((socket) => socket.end('secret')), net.createServer((socket) => socket.end('secret'))];
await listen(servers[0], 45678, '127.0.0.1');
await listen(servers[1], '\\0tidepool-attack');
require('fs').readFileSync('/proc/net/unix', 'utf8').includes('@tidepool-attack') ? 'listening' : 'not on an abstract socket'`,
    );
    expect(listening.result, describeExecution(listening)).toBe('listening');
    const found = await jsProbe<Record<string, string>>(
      pool.client,
      randomId('attacker'),
      `const net = require('net');
const connect = (...address) => new Promise((resolve) => {
  const socket = net.connect(...address);
  let data = '';
  socket.on('data', (chunk) => (data += chunk));
  socket.on('end', () => resolve(data || 'connected'));
  socket.on('error', (error) => resolve(error.code));
});
JSON.stringify({ tcp: await connect(45678, '127.0.0.1'), abstract: await connect('\\0tidepool-attack') })`,
    );
    expect(found).toEqual({ tcp: 'ECONNREFUSED', abstract: 'ECONNREFUSED' });
    // The listener's own session reaches both: the attack failed for want of a path, not of a server.
    const own = await js(pool.client, listener, "await new Promise((resolve) => require('net').connect('\\0tidepool-attack').on('data', (chunk) => resolve(String(chunk))))");
    expect(own.result, describeExecution(own)).toBe('secret');
  }, 120_000);

  it('cannot leave processes running after a cell, even detached ones, unless it asks to keep them', async () => {
    const attacker = randomId('attacker');
    const started = await js(
      pool.client,
      attacker,
      `const cp = require('child_process');
cp.spawn('sleep', ['300'], { detached: true, stdio: 'ignore' }).unref();
cp.execSync('setsid sleep 301 >/dev/null 2>&1 &');
cp.execSync('nohup sleep 302 >/dev/null 2>&1 &');
'started'`,
    );
    expect(started.result, describeExecution(started)).toBe('started');
    expect((await js(pool.client, attacker, countProcesses('sleep'))).result).toBe(0);
    const kept = await js(pool.client, attacker, "process.env.TIDEPOOL_KEEP_PROCESSES = '1';\nrequire('child_process').spawn('sleep', ['303'], { detached: true, stdio: 'ignore' }).unref();\n'kept'");
    expect(kept.result, describeExecution(kept)).toBe('kept');
    expect((await js(pool.client, attacker, `await new Promise((resolve) => setTimeout(resolve, 200));\n${countProcesses('sleep')}`)).result).toBe(1);
    await js(pool.client, attacker, 'delete process.env.TIDEPOOL_KEEP_PROCESSES');
    expect((await js(pool.client, attacker, countProcesses('sleep'))).result).toBe(0);
  }, 120_000);

  it('truncates 200 MB written to stdout (by the kernel and by a child process) and a 150 MB result, and the server stays small', async () => {
    const attacker = randomId('attacker');
    const output = await js(
      pool.client,
      attacker,
      `const chunk = 'y'.repeat(1024 * 1024);
for (let i = 0; i < 100; i++) process.stdout.write(chunk);
await new Promise((resolve, reject) => require('child_process').spawn('sh', ['-c', 'head -c 100000000 /dev/zero | tr "\\\\0" z'], { stdio: ['ignore', 'inherit', 'inherit'] }).on('exit', resolve).on('error', reject));
'done'`,
      { timeoutInSeconds: 120, httpTimeoutMs: 240_000 },
    );
    expect(output.result, describeExecution(output)).toBe('done');
    expect(output.bytes).toBeLessThan(8 * MB);
    expect(output.stdout).toMatch(/\[output truncated: \d+ more bytes\]\n$/);
    const huge = await js(pool.client, attacker, "'x'.repeat(150 * 1024 * 1024)", { timeoutInSeconds: 120, httpTimeoutMs: 240_000 });
    expect(huge.ok, describeExecution(huge)).toBe(true);
    expect(huge.bytes).toBeLessThan(8 * MB);
    expect(String(huge.result).slice(-600)).toMatch(/result truncated to its first 1048576 bytes; the whole is 157286400 characters/);
    expect(await pool.server.rssBytes()).toBeLessThan(1024 * MB);
  }, 300_000);

  it('a child writing 50 MB to the stdout and stderr it inherits, while the cell waits for it synchronously, finishes with its output truncated', async () => {
    const attacker = randomId('attacker');
    const run = await js(
      pool.client,
      attacker,
      `console.log('before');
require('child_process').execSync('head -c 50000000 /dev/zero | tr "\\\\0" o; head -c 3000000 /dev/zero | tr "\\\\0" e >&2', { stdio: 'inherit' });
console.log('after');
'done'`,
      { timeoutInSeconds: 60, httpTimeoutMs: 120_000 },
    );
    expect(run.result, describeExecution(run)).toBe('done');
    expect(run.stdout).toMatch(/^before\nafter\no{1000}/);
    expect(run.stdout).toMatch(/\[output truncated: \d+ more bytes\]\n$/);
    expect(run.stderr).toMatch(/^e{1000}[^]*\[output truncated: \d+ more bytes\]\n$/);
  }, 120_000);

  it.each([
    ['a header announcing 600 MB followed by junk', "const bytes = Buffer.alloc(4 + 4096, 0xde);\nbytes.writeUInt32BE(600 * 1024 * 1024, 0);"],
    ['a well-formed frame answering a request that was never sent', "const body = Buffer.from(JSON.stringify({ id: 987654321, status: 'success', stdout: 'forged', stderr: '', hasResult: false, result: null, repr: null, images: [], error: null, durationMs: 1 }));\nconst bytes = Buffer.concat([Buffer.alloc(4), body]);\nbytes.writeUInt32BE(body.length, 0);"],
    ['a frame that is not JSON', "const bytes = Buffer.from('\\u0000\\u0000\\u0000\\u0005{nope');"],
    // The host then reads the kernel's real answer as part of this frame and waits for the rest until the cell's timeout.
    ['a header announcing 10 MB followed by only 4 KB', "const bytes = Buffer.alloc(4 + 4096, 0x41);\nbytes.writeUInt32BE(10 * 1024 * 1024, 0);"],
  ])("writing %s into the kernel's socket ends only the attacker's session", async (_name, frame) => {
    const attacker = randomId('attacker');
    await plantGlobal(pool.client, attacker, 'forgeMarker', 'before');
    const attack = await js(
      pool.client,
      attacker,
      `const fs = require('fs');
${frame}
const sockets = fs.readdirSync('/proc/self/fd').filter((fd) => { try { return fs.readlinkSync('/proc/self/fd/' + fd).startsWith('socket:'); } catch { return false; } });
for (const fd of sockets) fs.writeSync(Number(fd), bytes);
sockets.length`,
      { timeoutInSeconds: 5 },
    );
    // The cell's own answer is whatever the pool made of it: a documented error or a result, never a forged one.
    expect(attack.http === 200 || attack.errorCode === 'SessionLost', describeExecution(attack)).toBe(true);
    expect(attack.stdout).not.toContain('forged');
    await expectStateLost(pool.client, attacker, 'forgeMarker');
  }, 120_000);

  it.each([
    ['Buffers outside the JavaScript heap', 'const hold = [];\nfor (;;) hold.push(Buffer.alloc(16 * 1024 * 1024, 1));'],
    ['arrays on the JavaScript heap', 'const hold = [];\nfor (;;) hold.push(new Array(1e6).fill(Math.random()));'],
  ])('a memory bomb of %s ends only its own session, and the next call says its state was lost', async (_name, code) => {
    const attacker = randomId('attacker');
    await plantGlobal(pool.client, attacker, 'bombMarker', 'before');
    const bomb = await js(pool.client, attacker, code, { timeoutInSeconds: 60, httpTimeoutMs: 120_000 });
    expect(bomb.http === 500 && bomb.errorCode === 'SessionLost', describeExecution(bomb)).toBe(true);
    await expectStateLost(pool.client, attacker, 'bombMarker');
  }, 180_000);

  it("makes 1.5 GB of short-lived garbage in a cell within the session's 256 MB: the heap is collected, the session is not ended", async () => {
    const attacker = randomId('attacker');
    const run = await js(
      pool.client,
      attacker,
      `let total = 0;
for (let i = 0; i < 100; i++) total += new Array(1e6).fill(i + 0.5).length;
for (let i = 0; i < 60; i++) total += Buffer.alloc(1e7, 1).length;
for (let i = 0; i < 20; i++) total += JSON.stringify({ text: 'z'.repeat(2e7) + i }).length;
total`,
      { timeoutInSeconds: 120, httpTimeoutMs: 240_000 },
    );
    expect(run.result, describeExecution(run)).toBe(100 * 1e6 + 60 * 1e7 + 10 * 20_000_012 + 10 * 20_000_013);
  }, 300_000);

  it('a fork bomb is stopped by the pids limit, and the session carries on without the processes', async () => {
    const attacker = randomId('attacker');
    const bomb = await jsProbe<{ started: number; refused: Record<string, number> }>(
      pool.client,
      attacker,
      `const cp = require('child_process');
const outcome = { started: 0, refused: {} };
await Promise.all(Array.from({ length: 1000 }, () => new Promise((resolve) => {
  const child = cp.spawn('sleep', ['20'], { stdio: 'ignore' });
  child.once('spawn', () => { outcome.started++; resolve(); });
  child.once('error', (error) => { outcome.refused[error.code] = (outcome.refused[error.code] ?? 0) + 1; resolve(); });
})));
JSON.stringify(outcome)`,
      { timeoutInSeconds: 60 },
    );
    expect(bomb.started).toBeLessThan(1000);
    expect(Object.keys(bomb.refused)).toEqual(['EAGAIN']);
    expect((await js(pool.client, attacker, countProcesses('sleep'))).result).toBe(0);
  }, 120_000);

  it('an infinite loop is interrupted at the timeout and the session keeps its variables; a loop the interrupt cannot reach costs only the state', async () => {
    const attacker = randomId('attacker');
    await plantGlobal(pool.client, attacker, 'loopMarker', 'before');
    const loop = await js(pool.client, attacker, 'for (;;) {}', { timeoutInSeconds: 2 });
    expect(loop.status, describeExecution(loop)).toBe('Failed');
    expect(loop.stderr).toMatch(/TimeoutError: .*interrupted; the session's variables are kept/);
    const caught = await js(pool.client, attacker, 'for (;;) { try { for (;;) {} } catch {} }', { timeoutInSeconds: 2 });
    expect(caught.stderr).toMatch(/the session's variables are kept/);
    await expectStateKept(pool.client, attacker, 'loopMarker', 'before');
    // After an await the loop runs outside the interruptible part: the kernel is ended at the grace period.
    const stuck = await js(pool.client, attacker, 'await null;\nfor (;;) {}', { timeoutInSeconds: 2 });
    expect(stuck.status, describeExecution(stuck)).toBe('Failed');
    expect(stuck.stderr).toMatch(/variables were lost/);
    await expectStateLost(pool.client, attacker, 'loopMarker');
  }, 120_000);

  it('SIGKILL, SIGTERM and SIGINT to PID 1 and SIGKILL to every process change nothing', async () => {
    const attacker = randomId('attacker');
    await plantGlobal(pool.client, attacker, 'signalMarker', 'before');
    const signals = await jsProbe<Record<string, string>>(
      pool.client,
      attacker,
      `const attempt = (what) => { try { what(); return 'sent'; } catch (error) { return error.code; } };
JSON.stringify({
  kill1: attempt(() => process.kill(1, 'SIGKILL')),
  term1: attempt(() => process.kill(1, 'SIGTERM')),
  int1: attempt(() => process.kill(1, 'SIGINT')),
  killAll: attempt(() => process.kill(-1, 'SIGKILL')),
})`,
    );
    // PID 1 of a PID namespace takes no signal it does not handle from inside, and it handles none;
    // -1 reaches nobody else.
    expect(signals).toEqual({ kill1: 'sent', term1: 'sent', int1: 'sent', killAll: 'ESRCH' });
    const later = await js(pool.client, attacker, "await new Promise((resolve) => setTimeout(resolve, 500));\nprocess.kill(1, 0);\n'alive'", { timeoutInSeconds: 20 });
    expect(later.result, describeExecution(later)).toBe('alive');
    await expectStateKept(pool.client, attacker, 'signalMarker', 'before');
  }, 120_000);

  it.each([
    ['process.exit(0)', 'process.exit(0)'],
    ['process.exit(3)', 'process.exit(3)'],
    ['process.abort()', 'process.abort()'],
    ["process.kill(process.pid, 'SIGKILL')", "process.kill(process.pid, 'SIGKILL')"],
    ['process.reallyExit(5)', 'process.reallyExit(5)'],
    ['a JSON.stringify of its own, which the kernel answers with', "JSON.stringify = () => 'forged';\n1"],
    ["a timer's throw with no uncaughtException listener left", "process.removeAllListeners('uncaughtException');\nsetTimeout(() => { throw new Error('bye'); }, 0);\nawait new Promise((resolve) => setTimeout(resolve, 5_000));"],
  ])('a cell ending or breaking its kernel with %s loses only its own session, and the pool says so', async (_name, code) => {
    const attacker = randomId('attacker');
    await plantGlobal(pool.client, attacker, 'exitMarker', 'before');
    const attack = await js(pool.client, attacker, code, { timeoutInSeconds: 20 });
    expect(attack.http === 500 && attack.errorCode === 'SessionLost', describeExecution(attack)).toBe(true);
    await expectStateLost(pool.client, attacker, 'exitMarker');
  }, 120_000);

  it("a SIGINT listener of the cell's own cannot keep a loop past the timeout: the kernel is ended and the pool says so", async () => {
    const attacker = randomId('attacker');
    await plantGlobal(pool.client, attacker, 'hijackMarker', 'before');
    // Listening for SIGINT takes the signal from the interrupt that would stop the loop, so the cell ignores it.
    const hijack = await js(pool.client, attacker, "process.removeAllListeners('SIGINT');\nprocess.on('SIGINT', () => {});\nfor (;;) {}", { timeoutInSeconds: 2 });
    expect(hijack.status, describeExecution(hijack)).toBe('Failed');
    expect(hijack.stderr).toMatch(/TimeoutError: .*ignored the interrupt, so its kernel was ended and the session's variables were lost/);
    await expectStateLost(pool.client, attacker, 'hijackMarker');
  }, 120_000);

  it("SIGUSR1 opens the inspector on the session's own loopback only: no other session and not the host can reach it", async () => {
    const attacker = randomId('attacker');
    const opened = await js(
      pool.client,
      attacker,
      `process.kill(process.pid, 'SIGUSR1');
const inspector = require('inspector');
const deadline = Date.now() + 20_000;
while (!inspector.url() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
inspector.url()`,
    );
    const url = String(opened.result);
    expect(url, describeExecution(opened)).toMatch(/^ws:\/\/127\.0\.0\.1:9229\/[0-9a-f-]+$/);
    const uuid = url.split('/').pop()!;
    const other = await js(
      pool.client,
      randomId('other'),
      "await new Promise((resolve) => { const socket = require('net').connect(9229, '127.0.0.1'); socket.on('connect', () => { socket.destroy(); resolve('open'); }); socket.on('error', (error) => resolve(error.code)); })",
    );
    expect(other.result, describeExecution(other)).toBe('ECONNREFUSED');
    expect(await hostGet('http://127.0.0.1:9229/json/list')).not.toContain(uuid);
    expect((await js(pool.client, attacker, "require('inspector').close(); 6 * 7")).result).toBe(42);
  }, 120_000);

  it('process.dlopen of a library that is no addon and process.binding fail within the cell, and the kernel keeps its state', async () => {
    const attacker = randomId('attacker');
    await plantGlobal(pool.client, attacker, 'dlopenMarker', 'before');
    const found = await jsProbe<Record<string, string>>(
      pool.client,
      attacker,
      `const attempt = (what) => { try { return String(what()); } catch (error) { return error.message; } };
JSON.stringify({
  libc: attempt(() => process.dlopen({ exports: {} }, 'libc.so.6')),
  missing: attempt(() => process.dlopen({ exports: {} }, '/mnt/data/none.so')),
  directory: attempt(() => process.dlopen({ exports: {} }, '/mnt/data')),
  binding: attempt(() => typeof process.binding('no_such_binding')),
})`,
    );
    expect(found.libc).toMatch(/did not self-register/);
    expect(found.missing).toMatch(/cannot open shared object file/);
    expect(found.directory).toMatch(/cannot read file data|Is a directory/);
    expect(found.binding).toMatch(/No such module/);
    await expectStateKept(pool.client, attacker, 'dlopenMarker', 'before');
  }, 120_000);

  describe('the sandbox\'s node binary', () => {
    let hostBinary: string;
    let before: { hash: string; mtimeMs: number };
    beforeAll(async () => {
      hostBinary = await realpath(process.execPath);
      before = { hash: await sha256(hostBinary), mtimeMs: (await stat(hostBinary)).mtimeMs };
    });
    afterAll(async () => {
      expect({ hash: await sha256(hostBinary), mtimeMs: (await stat(hostBinary)).mtimeMs }, "the host's node binary").toEqual(before);
    });

    it('cannot be written, replaced, removed or made set-uid', async () => {
      const found = await jsProbe<Record<string, string>>(
        pool.client,
        randomId('attacker'),
        `const fs = require('fs');
const node = '/run/tidepool/node/bin/node';
const attempt = (what) => { try { what(); return 'allowed'; } catch (error) { return error.code; } };
JSON.stringify({
  write: attempt(() => fs.writeFileSync(node, 'x')),
  append: attempt(() => fs.appendFileSync(node, 'x')),
  truncate: attempt(() => fs.truncateSync(node, 0)),
  chmod: attempt(() => fs.chmodSync(node, 0o4755)),
  unlink: attempt(() => fs.unlinkSync(node)),
  rename: attempt(() => fs.renameSync('/mnt/data', node)),
  create: attempt(() => fs.writeFileSync('/run/tidepool/node/bin/npm', 'x')),
  execPath: process.execPath,
})`,
      );
      expect(found.execPath).toBe('/run/tidepool/node/bin/node');
      const { execPath: _execPath, ...attempts } = found;
      for (const [what, outcome] of Object.entries(attempts)) expect.soft(outcome, what).toMatch(/^(EROFS|EACCES|EPERM|EBUSY|EXDEV|ENOTDIR|EISDIR)$/);
    }, 120_000);
  });
});
