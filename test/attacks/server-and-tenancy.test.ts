/**
 * Attacks from outside the other suites' assumptions: requests timed against each other so the
 * server loses track of a session, memory the server holds for clients that wait, what sessions
 * share through the zygote and the host's files, metadata and names a session plants for the
 * file API, and web pages driving a pool without keys. Each test also checks that a victim session
 * is intact, /healthz stayed under 1 s and no canary leaked.
 */
import { execFile } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { fileNames, GEN1, GEN2, sleep, type HttpAnswer } from './support/client.js';
import { guarded, useAttackPool } from './support/fixture.js';
import { cell } from './support/python.js';

const MB = 1024 * 1024;
/** The bound huge.test.ts holds the server to while sessions answer 150 MB results. */
const SERVER_RSS_LIMIT_MB = 1.5 * 1024;

/** Pids of host processes whose command line is exactly `argv`. */
async function processesRunning(argv: string[]): Promise<number[]> {
  const wanted = `${argv.join('\0')}\0`;
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline === wanted) found.push(Number(entry));
  }
  return found;
}

/** Polls until no process runs `argv` or `timeoutMs` passes; answers the pids still running. */
async function waitUntilGone(argv: string[], timeoutMs: number): Promise<number[]> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const running = await processesRunning(argv);
    if (running.length === 0 || performance.now() > deadline) return running;
    await sleep(250);
  }
}

describe('session bookkeeping races', () => {
  const ctx = useAttackPool({ maxSessions: 8, readySessions: 2 });

  it('a session deleted while its killed kernel restarts leaves no process behind (no untracked session)', async () => {
    await guarded(ctx, async () => {
      // A `sleep` with a random duration nobody else runs: its command line marks the attacker's process.
      const marker = ['sleep', `${randomInt(5_000, 9_000)}.${randomInt(100_000, 999_999)}`];
      const keepAProcess = [
        'import os, subprocess',
        "os.environ['TIDEPOOL_KEEP_PROCESSES'] = '1'",
        `subprocess.Popen(${JSON.stringify(marker)}, start_new_session=True)`,
        "'kept'",
      ].join('\n');
      for (let attempt = 0; attempt < 10; attempt++) {
        const identifier = ctx.id('restart-race');
        const planted = await ctx.client.exec1(identifier, 'x = 1');
        expect(planted.ok, 'the attacker session starts').toBe(true);
        // The kernel dies, PID 1 stays: the next call restarts the kernel in the same session.
        const killed = await ctx.client.exec1(identifier, 'import os, signal\nos.kill(os.getpid(), signal.SIGKILL)');
        expect(killed.errorCode, 'a kernel that killed itself').toBe('SessionLost');
        // Deletes staggered over the few milliseconds the restart takes, so one lands inside it.
        const run = ctx.client.exec2(identifier, keepAProcess).catch(() => undefined);
        await Promise.all([0, 2, 5, 10, 20].map((delayMs) => sleep(delayMs).then(() => ctx.client.deleteSession(identifier).catch(() => undefined))));
        await run;
        // Whatever the identifier holds now (a session the call started after the deletes) goes too.
        await ctx.client.deleteSession(identifier);
      }
      const survivors = await waitUntilGone(marker, 15_000);
      expect(survivors, 'processes of deleted sessions still running 15 s later (sessions the pool no longer tracks)').toEqual([]);
    });
  }, 120_000);
});

describe('execution ids across sessions', () => {
  const ctx = useAttackPool({ maxSessions: 4, readySessions: 1 });

  it("an operation-id one session used neither blocks another session from using it nor tells it that it exists", async () => {
    await guarded(ctx, async () => {
      const operationId = `job-${randomInt(1_000_000)}`;
      const run = (identifier: string) =>
        ctx.client.request('/executions', {
          method: 'POST',
          query: { 'api-version': GEN2, identifier },
          headers: { 'content-type': 'application/json', 'operation-id': operationId },
          body: JSON.stringify({ code: '6 * 7', timeoutInSeconds: 30 }),
          timeoutMs: 60_000,
        });
      const first = await run(ctx.id('tenant-a'));
      expect(first.status, `the first session's execution: ${first.text.slice(0, 300)}`).toBe(200);
      const second = await run(ctx.id('tenant-b'));
      expect(`${second.status} ${second.status === 200 ? '' : second.text.slice(0, 300)}`.trim(), "another session's execution with the same operation-id").toBe('200');
    });
  }, 120_000);
});

describe('watching files the host shares with sessions', () => {
  const ctx = useAttackPool({ maxSessions: 4, readySessions: 1 });

  it("a session cannot watch the host's own files (inotify on /etc/hosts, /usr/bin) to see host processes open them", async () => {
    await guarded(ctx, async () => {
      const watcher = ctx.id('inotify-watcher');
      const readyFile = `ready-${randomInt(1_000_000)}`;
      // Watches two host files bound into every session, says so in /mnt/data, then collects events for 10 s.
      const watching = ctx.client.exec2(
        watcher,
        cell(String.raw`
IN_OPEN, IN_ACCESS = 0x20, 0x1
_libc.inotify_add_watch.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32]
fd = _libc.inotify_init1(os.O_NONBLOCK)
init_errno = ctypes.get_errno() if fd < 0 else 0
watches = {}
for path in (b"/etc/hosts", b"/usr/bin/cat"):
    wd = _libc.inotify_add_watch(fd, path, IN_OPEN | IN_ACCESS)
    if wd >= 0:
        watches[wd] = path.decode()
open("/mnt/data/${readyFile}", "w").close()
seen = []
deadline = time.monotonic() + 10
while fd >= 0 and watches and time.monotonic() < deadline:
    if select.select([fd], [], [], 0.2)[0]:
        data = os.read(fd, 65536)
        at = 0
        while at < len(data):
            wd, mask, _cookie, length = struct.unpack_from("iIII", data, at)
            seen.append(watches.get(wd, "?"))
            at += 16 + length
json.dumps({"initErrno": init_errno, "watched": sorted(watches.values()), "events": seen})
`),
        { asynchronous: true, timeoutInSeconds: 60, httpTimeoutMs: 90_000 },
      );
      // The cell's PID 1 serves files while the cell runs: its ready file says the watches are in place.
      const readyBy = performance.now() + 30_000;
      while ((await ctx.client.download1(watcher, readyFile, 10_000)).status !== 200) {
        if (performance.now() > readyBy) throw new Error('the watcher cell did not start');
        await sleep(200);
      }
      // The host (this test) reads one shared file and runs a program from the other.
      for (let round = 0; round < 3; round++) {
        await readFile('/etc/hosts');
        await new Promise<void>((resolve) => execFile('/usr/bin/cat', ['/dev/null'], () => resolve()));
        await sleep(300);
      }
      const run = await watching;
      expect(run.ok, `the watcher cell: ${run.stderr.slice(-500)}`).toBe(true);
      const report = JSON.parse(String(run.result)) as { initErrno: number; watched: string[]; events: string[] };
      // Refused as unsupported (ENOSYS), so no watch is ever placed.
      expect(report.initErrno).toBe(38);
      expect(report.watched).toEqual([]);
      expect(report.events, `events the session saw on host files it watched (${report.watched.join(', ') || 'none'})`).toEqual([]);
    });
  }, 120_000);
});

describe('file metadata a session controls', () => {
  const ctx = useAttackPool({ maxSessions: 4, readySessions: 1 });

  it('listing 10,000 files whose names are control characters answers (cut if need be) and leaves the session and its files alone', async () => {
    await guarded(ctx, async () => {
      const attacker = ctx.id('escaped-names');
      // Each name is 255 bytes on disk and about 1.5 KB as JSON (\u0001 is six characters for one byte).
      const made = await ctx.client.exec1(
        attacker,
        [
          'import os',
          "os.makedirs('/mnt/data/ctl')",
          'for i in range(10000):',
          "    open('/mnt/data/ctl/%05d' % i + '\\x01' * 250, 'w').close()",
          "open('/mnt/data/keep.txt', 'w').write('kept')",
          "marker = 'alive'",
          "len(os.listdir('/mnt/data/ctl'))",
        ].join('\n'),
        { timeoutInSeconds: 60 },
      );
      expect(made.result, `the files: ${made.stderr.slice(-300)}`).toBe(10_000);
      const listing = await ctx.client.list2(attacker, { path: 'ctl', timeoutMs: 60_000, keepBytes: 64 * MB });
      expect(`${listing.status} ${listing.status === 200 ? '' : listing.text.slice(0, 200)}`.trim(), 'listing the directory').toBe('200');
      const after = await ctx.client.exec1(attacker, 'marker');
      expect(after.result, `the session's variable after the listing: ${after.stderr.slice(0, 300)}`).toBe('alive');
      const kept = await ctx.client.download1(attacker, 'keep.txt');
      expect(`${kept.status} ${kept.text}`, "the session's other file after the listing").toBe('200 kept');
    });
  }, 120_000);

  it('files whose modification times lie outside what a date can show do not break listings or downloads', async () => {
    await guarded(ctx, async () => {
      const attacker = ctx.id('mtime');
      // tmpfs keeps 64-bit times: about 318,000 years after and before 1970, past JavaScript's ±275,760 years.
      const made = await ctx.client.exec1(
        attacker,
        [
          'import os',
          "for name, seconds in (('future.txt', 10**13), ('past.txt', -10**13)):",
          "    open('/mnt/data/' + name, 'w').write(name)",
          "    os.utime('/mnt/data/' + name, (0, seconds))",
          "open('/mnt/data/plain.txt', 'w').write('plain')",
          "int(os.stat('/mnt/data/future.txt').st_mtime)",
        ].join('\n'),
      );
      expect(made.result, 'the future modification time').toBe(10 ** 13);
      for (const [what, answer] of [
        ['gen-1 listing', await ctx.client.list1(attacker)],
        ['gen-2 listing', await ctx.client.list2(attacker)],
      ] as const) {
        expect(`${answer.status} ${answer.status === 200 ? '' : answer.text.slice(0, 200)}`.trim(), what).toBe('200');
        expect([...fileNames(answer)].sort(), `${what}: names`).toEqual(['future.txt', 'past.txt', 'plain.txt']);
      }
      const download = await ctx.client.download1(attacker, 'future.txt');
      expect(download.status, 'downloading future.txt').toBe(200);
      expect(Number.isNaN(Date.parse(String(download.headers['last-modified']))), `Last-Modified: ${String(download.headers['last-modified'])}`).toBe(false);
    });
  }, 120_000);
});

describe('a web page driving a pool without keys', () => {
  const ctx = useAttackPool({ apiKey: null, maxSessions: 4, readySessions: 1 });

  it('refuses a cross-site POST that needs no CORS preflight, and a request for a host name re-pointed at loopback (DNS rebinding)', async () => {
    await guarded(ctx, async () => {
      const target = ctx.id('browser-victim');
      // What fetch(url, {method: 'POST', mode: 'no-cors', body}) from https://evil.example sends.
      const crossSite = await ctx.client.request('/code/execute', {
        method: 'POST',
        query: { 'api-version': GEN1, identifier: target },
        headers: { origin: 'https://evil.example', 'content-type': 'text/plain;charset=UTF-8' },
        body: JSON.stringify({ properties: { codeInputType: 'inline', executionType: 'synchronous', code: 'planted = 42' } }),
        timeoutMs: 60_000,
      });
      // What a page on rebind.evil.example, now resolving to 127.0.0.1, reads with a same-origin GET.
      const port = new URL(ctx.server.url).port;
      const rebound = await ctx.client.request('/listSessions', { query: { 'api-version': GEN2 }, headers: { host: `rebind.evil.example:${port}` }, timeoutMs: 30_000 });
      const session = await ctx.client.request('/session', { query: { 'api-version': GEN2, identifier: target }, timeoutMs: 30_000 });
      expect(
        { crossSite: crossSite.status, rebound: rebound.status, sessionCreated: session.status === 200 },
        `answers: ${crossSite.text.slice(0, 200)} | ${rebound.text.slice(0, 200)}`,
      ).toEqual({ crossSite: 403, rebound: 403, sessionCreated: false });
    });
  }, 120_000);
});


describe('memory the server holds for requests that wait', () => {
  const ctx = useAttackPool({ maxSessions: 4, readySessions: 1 });

  it('48 executions with 30 MB bodies queued behind one busy cell keep the server under 1.5 GB', async () => {
    await guarded(ctx, async () => {
      const identifier = ctx.id('queued-bodies');
      const busy = ctx.client.exec2(identifier, 'import time\ntime.sleep(20)', { timeoutInSeconds: 60 });
      // A cell that is one long comment: each body is within the 32 MB an execution may send.
      const body = Buffer.from(JSON.stringify({ code: `#${'a'.repeat(30 * MB)}`, timeoutInSeconds: 60 }));
      const queued: Array<Promise<HttpAnswer | undefined>> = [];
      for (let request = 0; request < 48; request++) {
        queued.push(
          ctx.client
            .request('/executions', { method: 'POST', query: { 'api-version': GEN2, identifier }, headers: { 'content-type': 'application/json' }, body, timeoutMs: 90_000, keepBytes: 4096 })
            .catch(() => undefined),
        );
      }
      let peakRss = 0;
      const sampleUntil = performance.now() + 15_000;
      while (performance.now() < sampleUntil) {
        peakRss = Math.max(peakRss, await ctx.server.rssBytes());
        await sleep(200);
      }
      // Ending the session fails the queued cells at once instead of running 48 of them.
      await ctx.client.deleteSession(identifier);
      await Promise.all([busy.catch(() => undefined), ...queued]);
      expect(peakRss / MB, 'peak resident memory of the server process (MB) while the bodies waited').toBeLessThan(SERVER_RSS_LIMIT_MB);
      // The /healthz probes run in this process, which also pumps 1.4 GB into 48 sockets, on the same
      // 2 cores as the server and, in CI, other test files: one probe took 1.15 s in a full CI run
      // (run alone, the slowest stays under 0.5 s; before the code budget, 4 s). Two seconds still
      // fails a server that stalls.
    }, { healthLimitMs: 2_000 });
  }, 120_000);

  it('64 asynchronous executions with 30 MB bodies, sent one at a time, keep the server under 1.5 GB', async () => {
    await guarded(ctx, async () => {
      const identifier = ctx.id('queued-async');
      const busy = ctx.client.exec2(identifier, 'import time\ntime.sleep(30)', { timeoutInSeconds: 60 });
      const body = Buffer.from(JSON.stringify({ code: `#${'a'.repeat(30 * MB)}`, executionType: 'Asynchronous', timeoutInSeconds: 60 }));
      let peakRss = 0;
      const accepted: number[] = [];
      // One connection at a time: the per-client connection cap never comes into play.
      for (let request = 0; request < 64; request++) {
        const answer = await ctx.client.request('/executions', { method: 'POST', query: { 'api-version': GEN2, identifier }, headers: { 'content-type': 'application/json' }, body, timeoutMs: 30_000, keepBytes: 4096 });
        accepted.push(answer.status);
        peakRss = Math.max(peakRss, await ctx.server.rssBytes());
      }
      await ctx.client.deleteSession(identifier);
      await busy.catch(() => undefined);
      expect(accepted.filter((status) => status !== 202 && status !== 429), 'answers other than 202 Accepted or 429 TooManyExecutions').toEqual([]);
      expect(peakRss / MB, 'peak resident memory of the server process (MB) with the bodies accepted').toBeLessThan(SERVER_RSS_LIMIT_MB);
    });
  }, 120_000);
});

/** Sends a GET and never reads the answer, as a client stalled on a slow link does; destroy() ends it. */
function stalledGet(url: string, path: string, key: string | null): net.Socket {
  const { hostname, port } = new URL(url);
  const socket = net.connect({ host: hostname, port: Number(port) });
  socket.on('error', () => undefined);
  socket.write(`GET ${path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\n${key ? `Authorization: Bearer ${key}\r\n` : ''}\r\n`);
  socket.pause();
  return socket;
}

describe('memory the server holds for downloads nobody reads', () => {
  const ctx = useAttackPool({ maxSessions: 4, readySessions: 1, memoryMb: 1024 });

  it('eight stalled downloads of a 300 MB sparse file keep the server under 1.5 GB', async () => {
    await guarded(ctx, async () => {
      const identifier = ctx.id('stalled-downloads');
      // A sparse file: 300 MB to read, almost nothing of the session's memory or disk.
      const made = await ctx.client.exec1(identifier, "import os\nos.truncate(os.open('/mnt/data/sparse.bin', os.O_CREAT | os.O_WRONLY), 300 * 1024 * 1024)\nos.path.getsize('/mnt/data/sparse.bin')");
      expect(made.result, 'the sparse file').toBe(300 * MB);
      const path = `/files/content/sparse.bin?api-version=${GEN1}&identifier=${encodeURIComponent(identifier)}`;
      const sockets = Array.from({ length: 8 }, () => stalledGet(ctx.server.url, path, ctx.server.key));
      let peakRss = 0;
      try {
        const sampleUntil = performance.now() + 15_000;
        while (performance.now() < sampleUntil) {
          peakRss = Math.max(peakRss, await ctx.server.rssBytes());
          await sleep(200);
        }
      } finally {
        for (const socket of sockets) socket.destroy();
      }
      expect(peakRss / MB, 'peak resident memory of the server process (MB) while the downloads stalled').toBeLessThan(SERVER_RSS_LIMIT_MB);
    });
  }, 120_000);
});
