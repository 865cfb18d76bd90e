/**
 * The attack suite's most relevant attacks, run as shell commands against a Shell pool: the same
 * isolation must hold when the hostile code is bash instead of Python. Host files, canaries in the
 * server's environment and home, /proc, the network, descriptors, another session's files,
 * privileges and processes left behind.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { sh, shellExec, useShellPool } from './support/shell.js';

describe('attacks on a Shell pool (egress off)', () => {
  const pool = useShellPool({ readySessions: 1, maxSessions: 6 });
  const id = (prefix: string) => `${prefix}-${randomUUID()}`;

  it("cannot read the server's canary file, environment or temporary directory, through paths or /proc", async () => {
    const { canary } = pool;
    const attacker = id('attacker');
    const out = await sh(
      pool.client,
      attacker,
      [
        // Only whether it could be read: the error message would repeat the file's (secret) name.
        `cat ${canary.homeFilePath} >/dev/null 2>&1 && echo home-file-readable || echo home-file-unreadable`,
        `ls -a ${canary.home} ${canary.tmp} 2>&1 | head -c 300; echo`,
        'env; tr "\\0" "\\n" < /proc/1/environ; tr "\\0" "\\n" < /proc/self/environ',
        `for p in /proc/[0-9]*; do cat $p/root${canary.homeFilePath} 2>/dev/null; tr "\\0" "\\n" < $p/environ 2>/dev/null; done`,
        `find / -xdev -name '.canary-*' 2>/dev/null | head -5`,
      ].join('\n'),
    );
    expect(out).toContain('home-file-unreadable');
    expect(out).toMatch(/No such file or directory/);
    expect(out).not.toContain(canary.homeFileContent);
    expect(out).not.toContain(canary.envSecret);
    expect(pool.leaks).toEqual([]);
  }, 120_000);

  it("sees only its own session's processes in /proc and holds no capability", async () => {
    const out = await sh(pool.client, id('attacker'), 'ls -d /proc/[0-9]* | wc -l; grep -E "^Cap(Eff|Prm|Bnd)" /proc/self/status; mount -t tmpfs none /mnt 2>&1; echo mount=$?');
    const [count, ...rest] = out.trim().split('\n');
    // PID 1, the kernel, bash, ls, wc and the subshells of this pipeline: a handful, never the host's hundreds.
    expect(Number(count)).toBeLessThan(15);
    for (const line of rest.filter((l) => l.startsWith('Cap'))) expect(line).toMatch(/:\s+0+$/);
    expect(out).toMatch(/mount=(?!0)\d+/);
  }, 120_000);

  it("reaches no network: only loopback exists, and neither the pool's port nor the host answers", async () => {
    const host = Object.values(os.networkInterfaces()).flat().find((address) => address && address.family === 'IPv4' && !address.internal)?.address ?? '127.0.0.1';
    const port = pool.server.port;
    const out = await sh(
      pool.client,
      id('attacker'),
      [
        'tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " " | tr "\\n" " "; echo',
        `(exec 3<>/dev/tcp/127.0.0.1/${port}) 2>/dev/null && echo loopback-open || echo loopback-refused`,
        `timeout 5 bash -c '(exec 3<>/dev/tcp/${host}/${port})' 2>/dev/null && echo host-open || echo host-refused`,
        `timeout 5 bash -c '(exec 3<>/dev/tcp/1.1.1.1/53)' 2>/dev/null && echo internet-open || echo internet-refused`,
      ].join('\n'),
    );
    expect(out).toBe('lo \nloopback-refused\nhost-refused\ninternet-refused\n');
  }, 120_000);

  it('holds no socket among its descriptors (the kernel protocol stays out of reach of the command)', async () => {
    const out = await sh(pool.client, id('attacker'), 'for f in /proc/$$/fd/*; do echo "$(basename $f) $(readlink $f)"; done');
    const targets = out.trim().split('\n');
    expect(targets.length).toBeLessThanOrEqual(6);
    expect(targets.filter((line) => /socket:/.test(line))).toEqual([]);
  }, 120_000);

  it("cannot find or read another session's files, and leaves that session's directory and variables intact", async () => {
    const victim = id('victim');
    const secret = `victim-secret-${randomBytes(8).toString('hex')}`;
    await sh(pool.client, victim, `mkdir -p private && cd private && echo ${secret} > note-${secret}.txt && export VICTIM_VAR=${secret}`);
    const out = await sh(
      pool.client,
      id('attacker'),
      `ls -a /mnt/data; find / -xdev -name 'note-*' 2>/dev/null | head; cat /proc/[0-9]*/root/mnt/data/private/* /proc/[0-9]*/cwd/* 2>/dev/null | head -c 1000; grep -rs ${secret} /tmp /dev/shm /run 2>/dev/null | head -3; echo end`,
    );
    expect(out).not.toContain(secret);
    expect(await sh(pool.client, victim, 'pwd; echo $VICTIM_VAR; cat note-*.txt')).toBe(`/mnt/data/private\n${secret}\n${secret}\n`);
  }, 120_000);

  it('cannot leave processes running after a command, even detached ones, unless it asks to keep them', async () => {
    const attacker = id('attacker');
    const started = await shellExec(pool.client, attacker, { shellCommand: '(sleep 300 &); setsid sleep 301 & nohup sleep 302 >/dev/null 2>&1 & echo started', timeoutInSeconds: 30 });
    expect([started.http, started.status, started.stdout]).toEqual([200, '0', 'started\n']);
    expect(await sh(pool.client, attacker, 'pgrep -c sleep || true')).toBe('0\n');
    await sh(pool.client, attacker, 'export TIDEPOOL_KEEP_PROCESSES=1; sleep 303 >/dev/null 2>&1 &');
    expect(await sh(pool.client, attacker, 'pgrep -c sleep || true')).toBe('1\n');
    await sh(pool.client, attacker, 'unset TIDEPOOL_KEEP_PROCESSES');
    expect(await sh(pool.client, attacker, 'pgrep -c sleep || true')).toBe('0\n');
    expect(pool.server.alive).toBe(true);
    expect((await pool.client.healthz(5_000)).status).toBe(200);
  }, 120_000);

  it("is held by the session's memory and process limits, and the session works afterwards", async () => {
    const attacker = id('attacker');
    // tail keeps a line that never ends: it grows until the session's memory cgroup ends it.
    const memory = await shellExec(pool.client, attacker, { shellCommand: 'tail /dev/zero > /dev/null', timeoutInSeconds: 50 }, { httpTimeoutMs: 90_000 });
    expect(memory.http, memory.answer.text).toBe(200);
    expect(memory.status).toBe('137');
    // Far more background processes than the session's pids limit allows: the forks past it fail
    // (bash says so and retries until earlier ones have ended).
    const forks = await shellExec(pool.client, attacker, { shellCommand: 'for i in $(seq 1 400); do sleep 3 & done', timeoutInSeconds: 50 }, { httpTimeoutMs: 90_000 });
    expect(forks.http, forks.answer.text).toBe(200);
    expect(forks.stderr).toMatch(/fork: .*Resource temporarily unavailable/);
    expect(await sh(pool.client, attacker, 'echo still here; pgrep -c sleep || true')).toBe('still here\n0\n');
  }, 180_000);
});
