/**
 * Attacks from one session on another: shared /dev and devpts, per-uid kernel quotas (keyrings,
 * inotify, which the filter refuses outright), shared host uids, and descriptors shared between sessions. Session A attacks or
 * plants something; session B (another tenant) must neither see it nor be starved by it.
 */
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { guarded, useAttackPool } from './support/fixture.js';
import { cell, DENIED } from './support/python.js';

type Call = [number, string | null];

/** The real uid (as the host sees it) of the process whose name is `name`. */
async function hostUidOfProcessNamed(name: string): Promise<number | undefined> {
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if ((await readFile(`/proc/${entry}/comm`, 'utf8')).trim() !== name) continue;
      const status = await readFile(`/proc/${entry}/status`, 'utf8');
      return Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]);
    } catch {
      // Gone meanwhile.
    }
  }
  return undefined;
}

describe('cross-tenant attacks (egress off)', () => {
  const ctx = useAttackPool({ egress: false, maxSessions: 8, readySessions: 2, memoryMb: 256 });

  it('H3: /dev is read-only apart from /dev/shm, and nothing session A plants there reaches session B or outlives A', async () => {
    await guarded(ctx, async () => {
      const tag = randomBytes(5).toString('hex');
      const a = ctx.id('h3-a');
      const b = ctx.id('h3-b');
      const planted = await ctx.probe<{ attempts: Record<string, string>; shm: string[] }>(
        a,
        cell(String.raw`
tag = ${JSON.stringify(tag)}
attempts = {}
def attempt(name, action):
    try:
        action()
        attempts[name] = "ok"
    except OSError as exc:
        attempts[name] = _errname(exc.errno)

def create_file():
    with open("/dev/attack-" + tag, "w") as f:
        f.write("planted by A")

def replace_stdout():
    os.symlink("/mnt/data/evil", "/dev/.attack-" + tag)
    os.rename("/dev/.attack-" + tag, "/dev/stdout")

def write_shm():
    with open("/dev/shm/attack-" + tag, "w") as f:
        f.write("A's shared memory")

attempt("create /dev/attack-*", create_file)
attempt("mkdir /dev/attack-dir-*", lambda: os.mkdir("/dev/attack-dir-" + tag))
attempt("replace /dev/stdout", replace_stdout)
attempt("unlink /dev/stdout", lambda: os.unlink("/dev/stdout"))
attempt("mknod /dev/attack-null-*", lambda: os.mknod("/dev/attack-null-" + tag, 0o666 | stat.S_IFCHR, os.makedev(1, 3)))
attempt("chmod /dev/null", lambda: os.chmod("/dev/null", 0o777))
attempt("write /dev/shm/attack-*", write_shm)
json.dumps({"attempts": attempts, "shm": sorted(os.listdir("/dev/shm"))})
`),
      );
      const { ['write /dev/shm/attack-*']: shmWrite, ...devWrites } = planted.attempts;
      const allowed = Object.entries(devWrites).filter(([, outcome]) => !DENIED.includes(outcome)).map(([name, outcome]) => `${name}: ${outcome}`);
      expect.soft(allowed, 'changes to /dev that were not refused').toEqual([]);
      expect.soft(shmWrite, '/dev/shm must stay writable for the session itself').toBe('ok');

      const look = String.raw`
import json, os
def listing(path):
    try:
        return sorted(os.listdir(path))
    except OSError as exc:
        return ["<%s>" % exc.strerror]
json.dumps({"dev": listing("/dev"), "shm": listing("/dev/shm"), "pts": listing("/dev/pts"),
            "stdout": os.readlink("/dev/stdout") if os.path.islink("/dev/stdout") else None})
`;
      const seenByB = await ctx.probe<{ dev: string[]; shm: string[]; pts: string[]; stdout: string | null }>(b, look);
      const foreign = (view: typeof seenByB) => [...view.dev, ...view.shm, ...view.pts].filter((name) => name.includes(tag));
      expect.soft(foreign(seenByB), "session B sees what session A planted in /dev").toEqual([]);
      expect.soft(seenByB.stdout, "session B's /dev/stdout").toBe('/proc/self/fd/1');

      expect((await ctx.client.deleteSession(a)).status).toBe(204);
      const afterA = await ctx.probe<typeof seenByB>(a, look);
      expect.soft(foreign(afterA), "what session A planted in /dev outlived it").toEqual([]);
      expect.soft(afterA.stdout, '/dev/stdout of the next session').toBe('/proc/self/fd/1');
    });
  }, 120_000);

  it("M2: session B sees only its own ptys in /dev/pts and cannot open session A's", async () => {
    await guarded(ctx, async () => {
      const a = ctx.id('m2-a');
      const b = ctx.id('m2-b');
      const ptyOfA = await ctx.probe<{ name: string }>(a, 'import json, os\nm2_master, m2_slave = os.openpty()\njson.dumps({"name": os.ttyname(m2_slave)})');
      expect(ptyOfA.name).toMatch(/^\/dev\/pts\/\d+$/);
      const seenByB = await ctx.probe<{ before: string[]; opened: string; mine: string; after: string[] }>(
        b,
        cell(String.raw`
before = sorted(os.listdir("/dev/pts"))
try:
    fd = os.open(${JSON.stringify(ptyOfA.name)}, os.O_RDWR | os.O_NOCTTY)
    os.close(fd)
    opened = "ok"
except OSError as exc:
    opened = _errname(exc.errno)
m2_master, m2_slave = os.openpty()
mine = os.ttyname(m2_slave)
json.dumps({"before": before, "opened": opened, "mine": mine, "after": sorted(os.listdir("/dev/pts"))})
`),
      );
      expect.soft(seenByB.before.filter((name) => name !== 'ptmx'), "ptys listed in B's /dev/pts before B opened any").toEqual([]);
      expect.soft(seenByB.opened, `B opening A's ${ptyOfA.name}`).not.toBe('ok');
      expect.soft(seenByB.after.filter((name) => name !== 'ptmx'), "B's /dev/pts after opening its own pty").toEqual([seenByB.mine.replace('/dev/pts/', '')]);
    });
  }, 120_000);

  it('M3: keyrings are per session: B can neither read nor clear A\'s keys, and A cannot use up B\'s key quota', async () => {
    await guarded(ctx, async () => {
      const tag = randomBytes(5).toString('hex');
      const a = ctx.id('m3-keys-a');
      const b = ctx.id('m3-keys-b');
      const planted = await ctx.probe<{ add: Call; quota: { added: number; error: string | null } | null }>(
        a,
        cell(String.raw`
m3_serial, error = raw_syscall(248, b"user", b"attack-m3-${tag}", b"secret-${tag}", 17, -4)
quota = None
if m3_serial > 0:
    added, last = 0, None
    for i in range(1000):
        result, last = raw_syscall(248, b"user", b"attack-m3-fill-%d" % i, b"x" * 64, 64, -2)
        if result < 0:
            break
        added += 1
    quota = {"added": added, "error": last}
json.dumps({"add": [m3_serial, error], "quota": quota})
`),
      );
      const [serial, addError] = planted.add;
      if (serial < 0) {
        // Keyrings are closed to user code altogether: nothing to share.
        expect(DENIED, `add_key failed with ${addError}`).toContain(addError);
        return;
      }
      const fromB = await ctx.probe<{ clear: Call; search: Call; read: Call; own: Call }>(
        b,
        cell(String.raw`
buffer = ctypes.create_string_buffer(256)
clear = raw_syscall(250, 7, -4)
search = raw_syscall(250, 10, -4, b"user", b"attack-m3-${tag}", 0)
read = raw_syscall(250, 11, ${serial}, ctypes.addressof(buffer), 256)
own = raw_syscall(248, b"user", b"attack-m3-b", b"mine", 4, -2)
json.dumps({"clear": clear, "search": search, "read": read, "own": own})
`),
      );
      expect.soft(fromB.search[0], `B found A's key by searching its user keyring: ${JSON.stringify(fromB.search)}`).toBe(-1);
      expect.soft(fromB.read[0], `B read A's key by its serial: ${JSON.stringify(fromB.read)}`).toBe(-1);
      const ownOk = fromB.own[0] > 0 || (fromB.own[1] !== null && DENIED.includes(fromB.own[1]));
      expect.soft(ownOk, `B could not add a key of its own after A filled its quota (${JSON.stringify(planted.quota)}): ${JSON.stringify(fromB.own)}`).toBe(true);
      const stillThere = await ctx.probe<{ read: Call; value: string }>(
        a,
        cell(String.raw`
buffer = ctypes.create_string_buffer(256)
read = raw_syscall(250, 11, m3_serial, ctypes.addressof(buffer), 256)
json.dumps({"read": read, "value": buffer.raw[:max(read[0], 0)].decode("latin1")})
`),
      );
      expect.soft(stillThere.value, "A's own key after B's attempts").toBe(`secret-${tag}`);
    });
  }, 120_000);

  it('M3: no session can create inotify instances, so none can use up the per-uid quota for another', async () => {
    await guarded(ctx, async () => {
      // Refused by the seccomp filter (a watch on files shared with the host is a side channel);
      // the per-uid instance quota then cannot be exhausted by one session for the next.
      const attempt = String.raw`
result = libc_call("inotify_init1", os.O_CLOEXEC)
if result[0] >= 0:
    os.close(result[0])
json.dumps({"result": result})
`;
      for (const name of ['m3-inotify-a', 'm3-inotify-b']) {
        const { result } = await ctx.probe<{ result: Call }>(ctx.id(name), cell(attempt));
        expect(result, `inotify_init1 in ${name}`).toEqual([-1, 'ENOSYS']);
      }
    });
  }, 120_000);

  it('M3: two live sessions run as different host uids', async () => {
    await guarded(ctx, async () => {
      // Each session names its kernel process (PR_SET_NAME) so the host can find it and read its
      // real uid; /proc/self/uid_map is shown too, though inside nested user namespaces it only
      // names the parent namespace's uid.
      const sessions = [ctx.id('m3-uid-a'), ctx.id('m3-uid-b')].map((identifier) => ({ identifier, name: `tp${randomBytes(5).toString('hex')}` }));
      const seen = await Promise.all(
        sessions.map(({ identifier, name }) =>
          ctx.probe<{ named: number; map: string }>(
            identifier,
            `import ctypes, json
named = ctypes.CDLL(None).prctl(15, b"${name}", 0, 0, 0)
json.dumps({"named": named, "map": open("/proc/self/uid_map").read()})`,
          ),
        ),
      );
      const hostUids = await Promise.all(sessions.map(({ name }) => hostUidOfProcessNamed(name)));
      const detail = `host uids ${JSON.stringify(hostUids)}; uid_map ${JSON.stringify(seen.map(({ map }) => map.trim()))}; prctl ${JSON.stringify(seen.map(({ named }) => named))}`;
      expect(hostUids.every((uid) => uid !== undefined), `the sessions' kernels were not found on the host: ${detail}`).toBe(true);
      expect(hostUids[0], detail).not.toBe(hostUids[1]);
    });
  }, 120_000);

  it('L4: no pipe or socket held by one session is also held by another (the zygote stderr among them)', async () => {
    await guarded(ctx, async () => {
      const list = cell('json.dumps({str(fd): info for fd, info in fds().items()})');
      const [ofA, ofB] = await Promise.all(
        [ctx.id('l4-a'), ctx.id('l4-b')].map((identifier) => ctx.probe<Record<string, [string, number, number, string]>>(identifier, list)),
      );
      const key = ([kind, dev, ino]: [string, number, number, string]) => `${kind}:${dev}:${ino}`;
      const channels = (fds: Record<string, [string, number, number, string]>) =>
        new Map(Object.entries(fds).filter(([, info]) => info[0] === 'fifo' || info[0] === 'socket').map(([fd, info]) => [key(info), `fd ${fd} (${info[3]})`]));
      const inA = channels(ofA!);
      const shared = [...channels(ofB!)].filter(([id]) => inA.has(id)).map(([id, where]) => `${where} in B is ${inA.get(id)} in A [${id}]`);
      expect(shared, 'descriptors both sessions hold').toEqual([]);
    });
  }, 120_000);
});
