/**
 * A Shell pool end to end over real HTTP: `tidepool pool serve --container-type shell` with bwrap
 * isolation. The reference's Shell vector, the session's kept working directory and environment,
 * stdin, argument vectors, timeouts, output caps, the file API and the refusal of Python bodies.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sh, shellExec, SHELL_API, useShellPool } from '../../attacks/support/shell.js';

describe('Shell pool over HTTP (bwrap)', () => {
  const pool = useShellPool({ readySessions: 1, maxSessions: 6, maxExecutionSeconds: 60 });
  const id = () => `shell-${randomUUID()}`;

  it('answers the reference Shell vector: exit code as a string, stdout and stderr in result', async () => {
    const identifier = id();
    const hello = await shellExec(pool.client, identifier, { shellCommand: 'echo hello world' });
    expect(hello.http, hello.answer.text).toBe(200);
    expect(hello.body).toMatchObject({ identifier, status: '0', result: { stdout: 'hello world\n', stderr: '' } });
    expect(typeof hello.body.id).toBe('string');
    expect(hello.answer.headers['operation-id']).toBe(hello.body.id);
    const time = (hello.body.result as { executionTimeInMilliseconds: unknown }).executionTimeInMilliseconds;
    expect(Number.isInteger(time) && (time as number) >= 0).toBe(true);

    const failing = await shellExec(pool.client, identifier, { shellCommand: 'false' });
    expect(failing.http).toBe(200);
    expect(failing.status).toBe('1');

    const mixed = await shellExec(pool.client, identifier, { shellCommand: 'echo out; echo err >&2; exit 7' });
    expect([mixed.status, mixed.stdout, mixed.stderr]).toEqual(['7', 'out\n', 'err\n']);

    const python = await shellExec(pool.client, identifier, { shellCommand: 'echo hi', codeInputType: 'Inline' });
    expect(python.http).toBe(400);
    expect(python.answer.headers['x-ms-error-code']).toBe('SessionRequestNotSupported');
  }, 120_000);

  it('keeps the working directory and exported variables from one execution to the next, starting in /mnt/data', async () => {
    const identifier = id();
    expect(await sh(pool.client, identifier, 'pwd')).toBe('/mnt/data\n');
    await sh(pool.client, identifier, 'mkdir -p work/deeper && cd work/deeper && export GREETING="hello there" && UNEXPORTED=1');
    expect(await sh(pool.client, identifier, 'pwd; echo "$GREETING"; echo "[$UNEXPORTED]"')).toBe('/mnt/data/work/deeper\nhello there\n[]\n');
    // A command that fails after cd still moves the session, as the same lines typed into a shell would.
    const failed = await shellExec(pool.client, identifier, { shellCommand: 'cd /tmp && export STEP=2 && exit 3' });
    expect(failed.status).toBe('3');
    expect(await sh(pool.client, identifier, 'pwd; echo $STEP')).toBe('/tmp\n2\n');
    await sh(pool.client, identifier, 'unset GREETING; cd');
    expect(await sh(pool.client, identifier, 'echo "[${GREETING-unset}]"')).toBe('[unset]\n');
    // Another session starts afresh.
    expect(await sh(pool.client, id(), 'pwd; echo "[${STEP-}]"')).toBe('/mnt/data\n[]\n');
  }, 120_000);

  it('feeds stdin and runs execCommandAndArgs without a shell, in the session directory', async () => {
    const identifier = id();
    const upper = await shellExec(pool.client, identifier, { shellCommand: 'tr a-z A-Z', stdin: 'shout this\n' });
    expect([upper.status, upper.stdout]).toEqual(['0', 'SHOUT THIS\n']);
    const noStdin = await shellExec(pool.client, identifier, { shellCommand: 'wc -c' });
    expect(noStdin.stdout.trim()).toBe('0');

    await sh(pool.client, identifier, 'mkdir -p sub && cd sub');
    const argv = await shellExec(pool.client, identifier, { execCommandAndArgs: ['printf', '%s|', 'two words', '$HOME', '`id`'] });
    expect([argv.status, argv.stdout]).toEqual(['0', 'two words|$HOME|`id`|']);
    expect((await shellExec(pool.client, identifier, { execCommandAndArgs: ['pwd'] })).stdout).toBe('/mnt/data/sub\n');
    const withStdin = await shellExec(pool.client, identifier, { execCommandAndArgs: ['cat'], stdin: 'piped' });
    expect(withStdin.stdout).toBe('piped');

    const missing = await shellExec(pool.client, identifier, { execCommandAndArgs: ['no-such-program-here'] });
    expect(missing.status).toBe('127');
    expect(missing.stderr).toContain('not found');
  }, 120_000);

  it('stops a command at its timeout by killing its processes, keeps the session, and runs the next call', async () => {
    const identifier = id();
    await sh(pool.client, identifier, 'mkdir -p kept && cd kept && export KEPT=yes');
    const started = performance.now();
    const slow = await shellExec(pool.client, identifier, { shellCommand: 'sleep 120 & sleep 120; echo never', timeoutInSeconds: 2 });
    expect(slow.http).toBe(200);
    expect(slow.status).toBe('124');
    expect(slow.stdout).not.toContain('never');
    expect(slow.stderr).toContain('TimeoutError');
    expect(performance.now() - started).toBeLessThan(60_000);
    expect(await sh(pool.client, identifier, 'pwd; echo $KEPT; pgrep -c sleep || true')).toBe('/mnt/data/kept\nyes\n0\n');
  }, 120_000);

  it('caps output: outputStreamsMaxLength per stream, and the kernel drops what passes its byte limit', async () => {
    const identifier = id();
    const capped = await shellExec(pool.client, identifier, { shellCommand: 'seq 1 1000; seq 1 1000 >&2', outputStreamsMaxLength: 10 });
    expect(capped.status).toBe('0');
    expect(capped.stdout).toBe('1\n2\n3\n4\n5\n');
    expect(capped.stderr).toBe('1\n2\n3\n4\n5\n');
    // 4 MiB against the pool's default 1 MiB per-stream cap: cut with a note, exit code kept.
    const flood = await shellExec(pool.client, identifier, { shellCommand: 'head -c 4194304 /dev/zero | tr "\\0" x' });
    expect(flood.status).toBe('0');
    expect(flood.stdout.length).toBeLessThan(1024 * 1024 + 200);
    expect(flood.stdout).toMatch(/\[output truncated: \d+ more bytes\]/);
  }, 120_000);

  it('shares /mnt/data with the file API: an upload is readable by cat and a written file downloads', async () => {
    const identifier = id();
    const upload = await pool.client.upload(identifier, 'x.txt', 'uploaded bytes\n');
    expect(upload.status, upload.text).toBe(200);
    expect(await sh(pool.client, identifier, 'cat /mnt/data/x.txt; cat x.txt')).toBe('uploaded bytes\nuploaded bytes\n');
    await sh(pool.client, identifier, 'mkdir -p out && echo made-by-shell > out/y.txt');
    const download = await pool.client.download1(identifier, 'out/y.txt');
    expect([download.status, download.text]).toEqual([200, 'made-by-shell\n']);
  }, 120_000);

  it('refuses Python executions on every route, naming the pool kind, and says Shell in metadata', async () => {
    const identifier = id();
    const gen2 = await shellExec(pool.client, identifier, { code: 'print(1)' });
    expect(gen2.http).toBe(400);
    expect(gen2.answer.text).toMatch(/SessionRequestNotSupported/);
    expect(gen2.answer.text).toMatch(/Shell sessions/);
    const gen1 = await pool.client.exec1(identifier, 'print(1)');
    expect([gen1.http, gen1.errorCode]).toEqual([400, 'SessionRequestNotSupported']);
    const legacy = await pool.client.request('/python/execute', {
      method: 'POST',
      query: { identifier },
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ properties: { pythonCode: 'print(1)' } }),
    });
    expect(legacy.status).toBe(400);
    expect(legacy.text).toMatch(/Shell sessions/);
    const neither = await shellExec(pool.client, identifier, { timeoutInSeconds: 5 });
    expect(neither.http).toBe(400);
    const both = await shellExec(pool.client, identifier, { shellCommand: 'true', execCommandAndArgs: ['true'] });
    expect(both.http).toBe(400);
    const badArgv = await shellExec(pool.client, identifier, { execCommandAndArgs: 'ls -l' });
    expect(badArgv.http).toBe(400);

    const metadata = await pool.client.request('/metadata', { query: { 'api-version': SHELL_API } });
    expect(metadata.status).toBe(200);
    const body = JSON.parse(metadata.text) as { containerType: string; runtimes: { name: string; version: string }[] };
    expect(body.containerType).toBe('Shell');
    expect(body.runtimes[0]).toMatchObject({ name: 'bash' });
    expect(body.runtimes[0]!.version).toMatch(/^\d+\.\d+/);
  }, 120_000);

  it('finds bash and the usual /bin/sh paths inside the session', async () => {
    const out = await sh(pool.client, id(), 'command -v bash; /bin/sh -c "echo sh works"; /usr/bin/env bash -c "echo \\$BASH_VERSION" | cut -c1');
    const [bash, shLine, version] = out.trim().split('\n');
    expect(bash).toMatch(/^\/(usr\/)?bin\/bash$/);
    expect(shLine).toBe('sh works');
    expect(version).toMatch(/^\d$/);
    expect(pool.leaks).toEqual([]);
  }, 120_000);
});
