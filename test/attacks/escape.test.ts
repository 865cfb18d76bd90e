/**
 * Attacks on the sandbox itself, from code running in a session: the kernel's protocol channel,
 * namespaces, the seccomp filter and capabilities, and odd ways of exiting. Each test also checks
 * that a victim session is intact, /healthz stayed under 1 s and no canary leaked.
 */
import { describe, expect, it } from 'vitest';
import { describeExecution, guarded, useAttackPool } from './support/fixture.js';
import { expectClearAnswer, expectNewSessionsWork, expectSessionEnded, expectSessionIntact, plantMarker } from './support/expect-session.js';
import { cell, DENIED } from './support/python.js';

/**
 * Writes `chunks` (a list of bytes-like pieces that `setup`, Python statements, defines) into
 * every socket the kernel process holds, once per socket. The pieces are written one by one so
 * that a large frame costs its own size in memory once, not several copies.
 */
function writeIntoSockets(setup: string): string {
  return cell(String.raw`
${setup}
seen, written, errors = set(), [], {}
for fd, (kind, dev, ino, target) in sorted(fds().items()):
    if kind != "socket" or (dev, ino) in seen:
        continue
    seen.add((dev, ino))
    try:
        for chunk in chunks:
            view = memoryview(chunk)
            while view:
                view = view[os.write(fd, view):]
        written.append(fd)
    except OSError as exc:
        errors[fd] = _errname(exc.errno)
del chunks
time.sleep(2)
json.dumps({"written": written, "errors": errors})
`);
}

const HUGE_HEADER = String.raw`
chunks = [struct.pack(">I", 600 * 1024 * 1024), b"\xde\xad\xbe\xef" * 32768]
`;

/** A well-formed frame whose JSON body is 60 MB, built in place. */
const WELL_FORMED_FRAME = String.raw`
size = 60 * 1024 * 1024
head, tail = b'{"id": 987654321, "junk": "', b'"}'
body = bytearray(b"A") * size
body[:len(head)] = head
body[size - len(tail):] = tail
chunks = [struct.pack(">I", size), body]
del body
`;

type Outcome = [number, string | null] | { died?: string; exception?: string; message?: string };

function denied(outcome: Outcome): boolean {
  if (Array.isArray(outcome)) return outcome[0] === -1 && outcome[1] !== null && DENIED.includes(outcome[1]);
  return outcome.died === 'SIGSYS' || outcome.died === 'SIGKILL';
}

describe('escape attacks (egress off)', () => {
  const ctx = useAttackPool({ egress: false, maxSessions: 8, readySessions: 2, memoryMb: 256 });

  it.each([
    ['a header announcing 600 MB followed by junk', HUGE_HEADER],
    ['a 60 MB well-formed frame', WELL_FORMED_FRAME],
  ])('C2: writing %s into the kernel protocol socket ends only the attacker session', async (_name, payload) => {
    await guarded(ctx, async () => {
      const attacker = ctx.id('c2');
      await plantMarker(ctx.client, attacker, 'c2_marker', 'before');
      const attack = await ctx.client.exec1(attacker, writeIntoSockets(payload), { timeoutInSeconds: 30, httpTimeoutMs: 90_000 });
      expectClearAnswer(attack, 'the attack cell');
      const report = attack.ok && typeof attack.result === 'string' ? (JSON.parse(attack.result) as { written: number[] }) : undefined;
      if (report && report.written.length === 0) {
        // No socket was reachable from user code at all: nothing could be injected.
        return;
      }
      await expectSessionEnded(ctx.client, attacker, 'c2_marker', 'before');
    });
  }, 180_000);

  it('H2: creating UTS namespaces and nested user namespaces is denied, and new sessions still start', async () => {
    await guarded(ctx, async () => {
      const attacker = ctx.id('h2-ns');
      const report = await ctx.probe<Record<string, { ok?: number; errors?: Record<string, number>; died?: string }>>(
        attacker,
        cell(String.raw`
def unshare_loop(flag, count):
    def run():
        ok, errors = 0, {}
        for _ in range(count):
            result, error = libc_call("unshare", flag)
            if result == 0:
                ok += 1
            else:
                errors[error] = errors.get(error, 0) + 1
        return {"ok": ok, "errors": errors}
    return run

json.dumps({
    "uts": in_child(unshare_loop(0x04000000, 300)),
    "user": in_child(unshare_loop(0x10000000, 40)),
    "uts+ipc+net": in_child(unshare_loop(0x04000000 | 0x08000000 | 0x40000000, 50)),
})
`),
      );
      for (const [name, outcome] of Object.entries(report)) {
        const ok = outcome.ok ?? 0;
        const errors = Object.keys(outcome.errors ?? {});
        const allDenied = outcome.died === 'SIGSYS' || outcome.died === 'SIGKILL' || (ok === 0 && errors.length > 0 && errors.every((error) => DENIED.includes(error)));
        expect.soft(allDenied, `unshare(${name}): ${JSON.stringify(outcome)}`).toBe(true);
      }
      await expectNewSessionsWork(ctx.client, [ctx.id('h2-new'), ctx.id('h2-new'), ctx.id('h2-new')]);
    });
  }, 180_000);

  it('H2: sessions that close every descriptor, kill their PID 1 children and exit 200 leave the zygote and other sessions working', async () => {
    await guarded(ctx, async () => {
      const closeAll = ctx.id('h2-close');
      const killAll = ctx.id('h2-kill');
      const closing = await ctx.client.exec1(
        closeAll,
        cell(String.raw`
for name in os.listdir("/proc/self/fd"):
    try:
        os.close(int(name))
    except OSError:
        pass
os.closerange(0, 65536)
os._exit(200)
`),
        { timeoutInSeconds: 20, httpTimeoutMs: 60_000 },
      );
      expectClearAnswer(closing, 'closing every descriptor and exiting 200');
      const killing = await ctx.client.exec1(
        killAll,
        cell(String.raw`
for _ in range(3):
    if os.fork() == 0:
        if os.fork() == 0:
            time.sleep(60)
        os._exit(0)
time.sleep(0.5)
os.kill(-1, signal.SIGKILL)
os.closerange(0, 65536)
os._exit(200)
`),
        { timeoutInSeconds: 20, httpTimeoutMs: 60_000 },
      );
      expectClearAnswer(killing, "killing every process PID 1 adopted and exiting 200");
      await expectNewSessionsWork(ctx.client, [ctx.id('h2-new'), ctx.id('h2-new'), ctx.id('h2-new')]);
    });
  }, 180_000);

  it('M1: namespace, io_uring, keyring, userfaultfd, raw socket, module, kexec, ptrace and mount calls are denied, and no capability is held', async () => {
    await guarded(ctx, async () => {
      const attacker = ctx.id('m1');
      const report = await ctx.probe<{ calls: Record<string, Outcome>; caps: Record<string, string> }>(
        attacker,
        cell(String.raw`
def unshare_user():
    return list(libc_call("unshare", 0x10000000))

def clone_user():
    result, error = raw_syscall(56, 0x10000000 | signal.SIGCHLD, 0, 0, 0, 0)
    if result == 0:
        os._exit(0)
    if result > 0:
        os.waitpid(result, 0)
    return [result, error]

def io_uring_setup():
    params = ctypes.create_string_buffer(120)
    result, error = raw_syscall(425, 8, ctypes.addressof(params))
    if result >= 0:
        os.close(result)
    return [result, error]

def add_key():
    return list(raw_syscall(248, b"user", b"attack-m1", b"payload", 7, -2))

def keyctl_join():
    return list(raw_syscall(250, 1, b"attack-m1-ring"))

def userfaultfd():
    result, error = raw_syscall(323, os.O_CLOEXEC | 1)
    if result >= 0:
        os.close(result)
    return [result, error]

def open_socket(family, kind, protocol):
    def run():
        result, error = libc_call("socket", family, kind, protocol)
        if result >= 0:
            os.close(result)
        return [result, error]
    return run

def ptrace_pid1():
    result, error = libc_call("ptrace", 16, 1, 0, 0)
    if result == 0:
        libc_call("ptrace", 17, 1, 0, 0)
    return [result, error]

def mount_tmpfs():
    os.makedirs("/tmp/attack-m1", exist_ok=True)
    result, error = libc_call("mount", b"tmpfs", b"/tmp/attack-m1", b"tmpfs", 0, None)
    if result == 0:
        libc_call("umount2", b"/tmp/attack-m1", 2)
    return [result, error]

calls = {
    "unshare(CLONE_NEWUSER)": unshare_user,
    "clone(CLONE_NEWUSER)": clone_user,
    "io_uring_setup": io_uring_setup,
    "add_key": add_key,
    "keyctl(JOIN_SESSION_KEYRING)": keyctl_join,
    "userfaultfd": userfaultfd,
    "socket(AF_VSOCK)": open_socket(40, socket.SOCK_STREAM, 0),
    "socket(AF_PACKET)": open_socket(17, socket.SOCK_RAW, 0x0300),
    "socket(AF_NETLINK, NETLINK_NETFILTER)": open_socket(16, socket.SOCK_RAW, 12),
    "kexec_load": lambda: list(raw_syscall(246, 0, 0, 0, 0)),
    "init_module": lambda: list(raw_syscall(175, 0, 0, b"")),
    "ptrace(PTRACE_ATTACH, 1)": ptrace_pid1,
    "mount(tmpfs)": mount_tmpfs,
}
outcomes = {name: in_child(fn) for name, fn in calls.items()}
caps = {}
for line in open("/proc/self/status"):
    key, _, value = line.partition(":")
    if key in ("CapEff", "CapPrm", "CapBnd", "CapInh", "CapAmb"):
        caps[key] = value.strip()
json.dumps({"calls": outcomes, "caps": caps})
`),
      );
      const allowed = Object.entries(report.calls)
        .filter(([, outcome]) => !denied(outcome))
        .map(([name, outcome]) => `${name} → ${JSON.stringify(outcome)}`);
      expect.soft(allowed, 'calls that were not denied (return value, errno)').toEqual([]);
      const zero = '0000000000000000';
      expect.soft({ CapEff: report.caps.CapEff, CapPrm: report.caps.CapPrm, CapBnd: report.caps.CapBnd }, 'capabilities of user code').toEqual({ CapEff: zero, CapPrm: zero, CapBnd: zero });
    });
  }, 120_000);

  it.each([
    ['os._exit(200)', 'import os\nos._exit(200)', true],
    ['os._exit(1)', 'import os\nos._exit(1)', true],
    ['os.kill(os.getpid(), 9)', 'import os\nos.kill(os.getpid(), 9)', true],
    ['os.kill(1, 9)', "import os, time\nos.kill(1, 9)\ntime.sleep(1)\n'still here'", false],
  ])('Exit statuses: a cell calling %s loses only its own session, and its next call says so', async (_name, code, mustEnd) => {
    await guarded(ctx, async () => {
      const attacker = ctx.id('exit');
      await plantMarker(ctx.client, attacker, 'exit_marker', 'before');
      const attack = await ctx.client.exec1(attacker, code, { timeoutInSeconds: 20, httpTimeoutMs: 60_000 });
      expectClearAnswer(attack, 'the exiting cell');
      if (mustEnd) {
        expect(attack.ok, `the cell "succeeded" although its kernel ended: ${describeExecution(attack)}`).toBe(false);
        await expectSessionEnded(ctx.client, attacker, 'exit_marker', 'before');
      } else if (attack.ok && attack.result === 'still here') {
        // PID 1 ignored the signal: the session carries on with its state.
        await expectSessionIntact(ctx.client, attacker, 'exit_marker', 'before');
      } else {
        await expectSessionEnded(ctx.client, attacker, 'exit_marker', 'before');
      }
      await expectNewSessionsWork(ctx.client, [ctx.id('exit-new')]);
    });
  }, 120_000);
});
