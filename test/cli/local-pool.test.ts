/**
 * The machine's pool: `pool start` runs it in the background and records it; `exec` finds it
 * without configuration, so a named session outlives each command; `pool status` and `pool stop`.
 * Without it, `--session` says plainly that the session ends with the command.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { processAlive, type LocalPoolState } from '../../src/cli/local-pool.js';
import { MemoryStream } from '../support/streams.js';

let stateHome: string;
beforeAll(async () => {
  stateHome = await mkdtemp(path.join(os.tmpdir(), 'tidepool-state-'));
});
afterAll(async () => {
  // Whatever happened above, no pool is left behind.
  const state = await readState().catch(() => undefined);
  await cli(['pool', 'stop']);
  if (state && (await processAlive(state.pid))) process.kill(state.pid, 'SIGKILL');
  await rm(stateHome, { recursive: true, force: true });
});

const stateFile = () => path.join(stateHome, 'tidepool', 'pool.json');
const readState = async () => JSON.parse(await readFile(stateFile(), 'utf8')) as LocalPoolState;

async function cli(args: string[], env: Record<string, string | undefined> = {}) {
  const stdout = new MemoryStream();
  const stderr = new MemoryStream();
  const code = await main(['node', 'tidepool', ...args], { stdout, stderr, env: { PATH: process.env.PATH, XDG_STATE_HOME: stateHome, ...env } });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

const SESSION_ENDS = /^Session "demo" ends when this command does/m;

/**
 * Runs bin/tidepool.js as a user does, in a Node.js of its own, and says what it loaded: the URLs
 * of its modules, and Node's internal modules (process.moduleLoadList, where Node's own copy of
 * undici shows up when a global such as fetch or FormData is touched).
 */
async function modulesLoadedBy(args: string[]): Promise<{ code: number; stdout: string; urls: string[]; internal: string[] }> {
  const report = path.join(stateHome, 'loaded.json');
  const hook = path.join(stateHome, 'record-loads.mjs');
  await writeFile(
    hook,
    "import { registerHooks } from 'node:module'; import { writeFileSync } from 'node:fs'; const urls = [];\n" +
      'registerHooks({ load(url, context, next) { urls.push(url); return next(url, context); } });\n' +
      `process.on('exit', () => writeFileSync(${JSON.stringify(report)}, JSON.stringify({ urls, internal: process.moduleLoadList })));\n`,
  );
  const bin = path.resolve(import.meta.dirname, '..', '..', 'bin', 'tidepool.js');
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, XDG_STATE_HOME: stateHome };
  const { code, stdout } = await new Promise<{ code: number; stdout: string }>((resolve) => {
    execFile(process.execPath, ['--import', hook, bin, ...args], { env, encoding: 'utf8', timeout: 60_000 }, (error, out) => resolve({ code: error ? Number(error.code) : 0, stdout: out }));
  });
  return { code, stdout, ...(JSON.parse(await readFile(report, 'utf8')) as { urls: string[]; internal: string[] }) };
}

describe('--session without a pool that keeps it', () => {
  it('on local: one stderr line says the session ends with the command', async () => {
    const run = await cli(['exec', 'x = 1', '--sandbox', 'local', '--session', 'demo']);
    expect(run.code).toBe(0);
    expect(run.stderr.match(/ends when this command does/g)).toHaveLength(1);
    expect(run.stderr).toMatch(SESSION_ENDS);
    expect(run.stderr).toContain('npx tidepool pool start');
  });

  it('on the embedded pool (no local pool running): the same line; none without --session', async () => {
    const named = await cli(['exec', 'x = 1', '--session', 'demo'], { TIDEPOOL_POOL_READY_SESSIONS: '1' });
    expect(named.code).toBe(0);
    expect(named.stderr).toMatch(SESSION_ENDS);
    expect(named.stderr).not.toContain('local pool at');
    const unnamed = await cli(['exec', 'x = 1', '--sandbox', 'local']);
    expect(unnamed.stderr).not.toContain('ends when this command does');
  });
});

describe('tidepool pool start / status / stop', () => {
  it('status says no pool runs (exit 1); stop has nothing to do (exit 0)', async () => {
    expect(await cli(['pool', 'status'])).toMatchObject({ code: 1, stdout: 'No local pool is running. Start one with: npx tidepool pool start\n' });
    expect(await cli(['pool', 'stop'])).toMatchObject({ code: 0, stdout: 'No local pool is running.\n' });
  });

  it('runs the pool in the background, and exec uses it: a named session outlives each command', async () => {
    const started = await cli(['pool', 'start', '--port', '0', '--ready-sessions', '1', '--max-sessions', '4', '--egress', 'off']);
    expect(started.code).toBe(0);
    expect(started.stdout).toMatch(/^http:\/\/127\.0\.0\.1:\d+\n$/);
    const url = started.stdout.trim();
    expect(started.stderr).toContain(`Tidepool pool running in the background at ${url}`);

    const info = await stat(stateFile());
    expect(info.mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(stateFile()))).mode & 0o777).toBe(0o700);
    const state = await readState();
    expect(state).toMatchObject({ url, egress: false, isolation: 'bwrap', containerType: 'python' });
    expect(state.apiKey.length).toBeGreaterThanOrEqual(32);
    expect(await processAlive(state.pid)).toBe(true);
    // The generated key is required: the pool does not answer strangers with its sessions.
    expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ status: 'ok' });

    const status = await cli(['pool', 'status']);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`Local pool running at ${url} (pid ${state.pid}`);
    const json = JSON.parse((await cli(['pool', 'status', '--json'])).stdout);
    expect(json).toMatchObject({ running: true, url, pid: state.pid, sessions: { maxSessions: 4 } });
    expect(JSON.stringify(json)).not.toContain(state.apiKey);

    const first = await cli(['exec', 'x = 41', '--session', 'demo']);
    expect(first.code).toBe(0);
    expect(first.stderr).toContain(`🌊 Using the local pool at ${url} (pid ${state.pid}`);
    expect(first.stderr).not.toMatch(SESSION_ENDS);
    const second = await cli(['exec', 'x + 1', '--session', 'demo']);
    expect(second).toMatchObject({ code: 0, stdout: '42\n' });

    // Against the local pool, a command loads neither undici (the package or Node's own copy) nor
    // zod: each costs tens of milliseconds of a command that otherwise takes about a hundred.
    const light = await modulesLoadedBy(['exec', 'x + 2', '--session', 'demo']);
    expect(light).toMatchObject({ code: 0, stdout: '43\n' });
    expect(light.urls.some((url) => url.includes('/dist/sandbox/backends/aca/transport.js'))).toBe(true);
    expect(light.urls.filter((url) => /\/node_modules\/(undici|zod)\//.test(url))).toEqual([]);
    expect(light.internal.filter((name) => name.includes('undici'))).toEqual([]);

    // Errors print once: the traceback, and a timeout in the terms of this command's flag.
    const raised = await cli(['exec', '1 / 0']);
    expect(raised.code).toBe(1);
    expect(raised.stderr.match(/ZeroDivisionError: division by zero/g)).toHaveLength(1);
    expect(raised.stderr.match(/Traceback \(most recent call last\)/g)).toHaveLength(1);
    const slow = await cli(['exec', 'import time; time.sleep(30)', '--timeout-ms', '500']);
    expect(slow.code).toBe(1);
    expect(slow.stderr.split('\n').filter((line) => line.includes('Execution exceeded'))).toHaveLength(1);
    expect(slow.stderr).toContain('Execution exceeded --timeout-ms (500)');
    expect(slow.stderr).not.toContain('timeoutMs');

    // A Python pool does not run shell commands: exec says so and uses a pool of its own.
    const shell = await cli(['exec', 'echo "$((6 * 7))"', '--language', 'sh'], { TIDEPOOL_POOL_READY_SESSIONS: '1' });
    expect(shell).toMatchObject({ code: 0, stdout: '42\n' });
    expect(shell.stderr).toContain(`The local pool at ${url} runs python sessions, not shell; using a pool embedded in this command instead.`);

    const again = await cli(['pool', 'serve', '--background']);
    expect(again).toMatchObject({ code: 0, stdout: `${url}\n` });
    expect(again.stderr).toContain('already running');

    const stopped = await cli(['pool', 'stop']);
    expect(stopped).toMatchObject({ code: 0, stdout: 'Local pool stopped.\n' });
    expect(await processAlive(state.pid)).toBe(false);
    await expect(stat(stateFile())).rejects.toThrow();
    expect((await cli(['pool', 'status'])).code).toBe(1);
  });

  it('a recorded pool that no longer answers is passed over with a note, and status cleans it up', async () => {
    await mkdir(path.dirname(stateFile()), { recursive: true, mode: 0o700 });
    // A pid that is not running and a port nothing listens on.
    const closedPort = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as AddressInfo;
        server.close(() => resolve(port));
      });
    });
    const stale: LocalPoolState = { pid: 2 ** 22 + 17, url: `http://127.0.0.1:${closedPort}`, apiKey: 'k'.repeat(43), egress: false, isolation: 'bwrap', startedAt: new Date().toISOString() };
    await writeFile(stateFile(), JSON.stringify(stale), { mode: 0o600 });
    const run = await cli(['exec', '6 * 7'], { TIDEPOOL_POOL_READY_SESSIONS: '1' });
    expect(run).toMatchObject({ code: 0, stdout: '42\n' });
    expect(run.stderr).toMatch(/^The local pool recorded in .*pool\.json does not answer at http:\/\/127\.0\.0\.1:\d+ \(nothing listens there\); using a pool embedded in this command instead/m);
    const status = await cli(['pool', 'status']);
    expect(status.code).toBe(1);
    expect(status.stdout).toContain('has exited; its state file was removed');
    await expect(stat(stateFile())).rejects.toThrow();
  });
});
