/**
 * What a session (or an unauthenticated caller) can learn about the host: the pool's host
 * directory and the server's canaries in anything a session can read, tracebacks and host paths
 * in error answers, session counts on /healthz, and a world-writable socket left behind when the
 * server dies.
 */
import { lstat, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, REPO_ROOT } from './support/build.js';
import { GEN1, GEN2, PoolClient, type HttpAnswer } from './support/client.js';
import { guarded, useAttackPool, type AttackContext } from './support/fixture.js';
import { descendants, stillRunning, type ProcessId } from './support/host-proc.js';
import { plantCanary, PoolServer, type Canary } from './support/pool-server.js';

/** The server's own paths (its temporary and home directories, the pool's directory) and canaries. */
async function hostSecrets(ctx: AttackContext): Promise<{ strings: string[]; patterns: RegExp[] }> {
  const strings = [...ctx.canary.needles, ctx.canary.root, ctx.canary.home, ...(await ctx.server.hostDirs())];
  return { strings, patterns: [/\/tidepool-pool-/] };
}

function findSecrets(text: string, secrets: { strings: string[]; patterns: RegExp[] }): string[] {
  return [...secrets.strings.filter((secret) => text.includes(secret)), ...secrets.patterns.filter((pattern) => pattern.test(text)).map(String)];
}

const INTERNALS = [/Traceback \(most recent call last\)/, /File "[^"]+", line \d+/, /\n\s+at .+[:(]\d+:\d+\)?/, /node:internal/, /node_modules/, /\/run\/tidepool/, /tidepool_(kernel|zygote|pool_files)/, /\.(ts|js|py):\d+/];

describe('leaks (egress off)', () => {
  const ctx = useAttackPool({ egress: false, maxSessions: 8, readySessions: 2, memoryMb: 256 });

  it("L3: /proc/self/mountinfo, /proc/1/cmdline, /proc/1/environ, os.environ and /etc/passwd name neither the host's pool directory nor any canary", async () => {
    await guarded(ctx, async () => {
      const secrets = await hostSecrets(ctx);
      const seen = await ctx.probe<Record<string, string>>(
        ctx.id('l3'),
        [
          'import json, os',
          'seen = {}',
          'for path in ["/proc/self/mountinfo", "/proc/self/mounts", "/proc/self/cmdline", "/proc/self/environ", "/proc/1/cmdline", "/proc/1/environ", "/proc/1/mountinfo", "/etc/passwd", "/etc/group", "/proc/self/cgroup"]:',
          '    try:',
          '        seen[path] = open(path, "rb").read().decode("utf-8", "replace")',
          '    except OSError as exc:',
          '        seen[path] = "unreadable: " + type(exc).__name__',
          'seen["os.environ"] = json.dumps(dict(os.environ))',
          // Labels, not the paths themselves, so that only what the session really read is judged.
          `for label, path in [("the host home canary", ${JSON.stringify(ctx.canary.homeFilePath)}), ("the host home", ${JSON.stringify(ctx.canary.home)}), ("/root", "/root"), ("/home", "/home")]:`,
          '    try:',
          '        seen[label] = open(path).read() if os.path.isfile(path) else json.dumps(sorted(os.listdir(path)))',
          '    except OSError as exc:',
          '        seen[label] = "unreadable: " + type(exc).__name__',
          'json.dumps(seen)',
        ].join('\n'),
      );
      const found = Object.entries(seen).flatMap(([source, text]) => findSecrets(text, secrets).map((secret) => `${source}: ${secret}`));
      expect(found, 'host paths or canaries a session can read').toEqual([]);
    });
  }, 120_000);

  it('L3: requests that make the pool fail inside answer without a traceback or a host path', async () => {
    await guarded(ctx, async () => {
      // An error answer must not even say where the server is installed.
      const base = await hostSecrets(ctx);
      const secrets = { strings: [...base.strings, REPO_ROOT], patterns: base.patterns };
      const identifier = ctx.id('l3-errors');
      await ctx.probe(identifier, "import json, os\nos.makedirs('/mnt/data/d', exist_ok=True)\nopen(b'/mnt/data/\\xff\\xfe-undecodable.txt', 'wb').close()\njson.dumps({})");
      const client = ctx.client;
      const v1 = { 'api-version': GEN1, identifier };
      const v2 = { 'api-version': GEN2, identifier };
      const nested = `{"properties":${'['.repeat(200_000)}${']'.repeat(200_000)}}`;
      const requests: Array<[string, () => Promise<HttpAnswer>]> = [
        ['an over-long file name', () => client.request(`/files/content/${'n'.repeat(300)}`, { query: v1, timeoutMs: 10_000 })],
        ['a bad percent-encoding', () => client.request('/files/content/%E0%A4%A', { query: v1, timeoutMs: 10_000 })],
        ['a NUL in a file name', () => client.request('/files/content/a%00b', { query: v1, timeoutMs: 10_000 })],
        ['a directory downloaded as a file', () => client.request('/files/content/d', { query: v1, timeoutMs: 10_000 })],
        ['a listing with an undecodable name (gen-1)', () => client.request('/files', { query: v1, timeoutMs: 10_000 })],
        ['a listing with an undecodable name (gen-2)', () => client.request('/files', { query: v2, timeoutMs: 10_000 })],
        ['JSON nested 200000 deep', () => client.request('/code/execute', { method: 'POST', query: v1, headers: { 'content-type': 'application/json' }, body: nested, timeoutMs: 10_000 })],
        ['code that is not a string', () => client.request('/executions', { method: 'POST', query: v2, headers: { 'content-type': 'application/json' }, body: '{"code":{"a":1},"timeoutInSeconds":5}', timeoutMs: 10_000 })],
        ['a broken multipart body', () => client.request('/files/upload', { method: 'POST', query: v1, headers: { 'content-type': 'multipart/form-data; boundary=xyz' }, body: '--xyz\r\nContent-Disposition: form-data; name="file"\r\n\r\nno end', timeoutMs: 10_000 })],
        ['an upload over a directory', () => {
          const body = '--b\r\nContent-Disposition: form-data; name="file"; filename="d"\r\n\r\nx\r\n--b--\r\n';
          return client.request('/files/upload', { method: 'POST', query: v1, headers: { 'content-type': 'multipart/form-data; boundary=b' }, body, timeoutMs: 10_000 });
        }],
        ['a 257-character identifier', () => client.request('/files', { query: { 'api-version': GEN1, identifier: 'i'.repeat(257) }, timeoutMs: 10_000 })],
        ['an unknown execution', () => client.request('/executions/does-not-exist', { query: v2, timeoutMs: 10_000 })],
      ];
      const problems: string[] = [];
      for (const [name, send] of requests) {
        let answer: HttpAnswer;
        try {
          answer = await send();
        } catch (error) {
          problems.push(`${name}: ${(error as Error).message}`);
          continue;
        }
        if (answer.status < 400) continue;
        let envelope: boolean;
        try {
          envelope = typeof (JSON.parse(answer.text) as { error?: { code?: unknown } }).error?.code === 'string';
        } catch {
          envelope = false;
        }
        if (!envelope) problems.push(`${name}: HTTP ${answer.status} without an error envelope: ${answer.text.slice(0, 200)}`);
        const leaked = [...findSecrets(answer.text, secrets), ...INTERNALS.filter((pattern) => pattern.test(answer.text)).map(String)];
        if (leaked.length > 0) problems.push(`${name}: HTTP ${answer.status} shows ${leaked.join(', ')}: ${answer.text.slice(0, 300)}`);
      }
      expect(problems, 'error answers that hang, lack an envelope or show internals').toEqual([]);
    });
  }, 180_000);

  it('L3: unauthenticated GET /healthz shows no session counts', async () => {
    await guarded(ctx, async () => {
      const answer = await ctx.client.healthz();
      expect(answer.status).toBe(200);
      const body = JSON.parse(answer.text) as Record<string, unknown>;
      expect.soft(Object.keys(body).filter((key) => key !== 'status'), `fields of ${answer.text}`).toEqual([]);
      expect.soft(answer.text, 'session numbers in the unauthenticated health answer').not.toMatch(/"(sessions|live|ready|maxSessions)"/);
      const metrics = await ctx.client.request('/metrics', { auth: false, timeoutMs: 10_000 });
      expect.soft(metrics.status, 'unauthenticated GET /metrics').toBe(401);
    });
  }, 60_000);
});

describe('L5: leftovers after the server is killed', () => {
  let canary: Canary;
  let server: PoolServer | undefined;
  let family: ProcessId[] = [];
  let dirs: string[] = [];

  beforeAll(async () => {
    await ensureBuilt();
    canary = await plantCanary();
  }, 300_000);

  afterAll(async () => {
    await server?.kill().catch(() => undefined);
    // Whatever of this pool still runs was started by this test: end it by pid.
    for (const { pid } of await stillRunning(family)) process.kill(pid, 'SIGKILL');
    for (const dir of dirs) if (!dir.startsWith(canary.tmp)) await rm(dir, { recursive: true, force: true });
    await canary?.dispose();
  }, 60_000);

  it('L5: after SIGKILL of the server no world-writable socket is left in its temporary directory', async () => {
    server = await PoolServer.start(canary, { egress: false, maxSessions: 2, readySessions: 1, memoryMb: 256 });
    const client = new PoolClient(server.url, server.key);
    try {
      const run = await client.exec1('l5-session', '6 * 7', { httpTimeoutMs: 60_000 });
      expect(run.result).toBe(42);
    } finally {
      client.close();
    }
    dirs = await server.hostDirs();
    expect(dirs.length, 'the pool directory (from the sockets the server listens on)').toBeGreaterThan(0);
    family = await descendants(server.pid);
    await server.kill();
    for (let attempt = 0; attempt < 100 && (await stillRunning(family)).length > 0; attempt++) await new Promise((resolve) => setTimeout(resolve, 100));
    const writable = new Set<string>();
    const walk = async (dir: string): Promise<void> => {
      for (const entry of await readdir(dir).catch(() => [] as string[])) {
        const full = path.join(dir, entry);
        const info = await lstat(full).catch(() => undefined);
        if (!info) continue;
        if (info.isDirectory()) await walk(full);
        else if (info.isSocket() && (info.mode & 0o002) !== 0) writable.add(`${full} (mode ${(info.mode & 0o777).toString(8)})`);
      }
    };
    for (const dir of new Set([canary.tmp, ...dirs])) await walk(dir);
    expect.soft([...writable], 'world-writable sockets left behind').toEqual([]);
    const left = await stillRunning(family);
    expect.soft(left.map(({ pid }) => pid), 'processes of the killed pool still running after 10 s').toEqual([]);
  }, 180_000);
});
