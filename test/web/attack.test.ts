/**
 * The attack this server must withstand: code running in a pool session (whose network egress is
 * on, for the weather tools) calls the web server on 127.0.0.1 and asks the Local agent to run code
 * on the host. `tidepool serve` runs as a real process whose environment holds a canary secret and
 * whose HOME holds a canary file; the attack must read neither and write nothing, whether the
 * session cannot connect at all or is answered 401. A control run shows the same stealing code does
 * find both canaries when it does reach Local, so a pass is not an accident of the payload.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const SERVE_PROCESS = path.resolve('test/web/serve-process.ts');

/** What the attacker wants to run on the host: the server's environment, a file in its HOME, and a mark left behind. */
const STEAL = [
  'import os',
  'environ = open(f"/proc/{os.getppid()}/environ", "rb").read().decode(errors="replace").split("\\0")',
  'variables = dict(item.split("=", 1) for item in environ if "=" in item)',
  'home = variables.get("HOME", os.path.expanduser("~"))',
  'print("ENV", variables.get("TIDEPOOL_CANARY_SECRET"))',
  'print("FILE", open(os.path.join(home, "secret.txt")).read())',
  'open(os.path.join(home, "pwned"), "w").write("host touched")',
].join('\n');

/** Runs in the pool session: every way in the attacker might try, each reported on one line. */
function attackFromSession(port: number): string {
  return [
    'import json, urllib.request, urllib.error',
    `BASE = ${JSON.stringify(`http://127.0.0.1:${port}`)}`,
    `STEAL = ${JSON.stringify(STEAL)}`,
    'def attempt(label, path, body, headers=None):',
    '    request = urllib.request.Request(BASE + path, data=json.dumps(body).encode(), method="POST", headers={"content-type": "application/json", **(headers or {})})',
    '    try:',
    '        with urllib.request.urlopen(request, timeout=30) as response:',
    '            outcome = {"status": response.status, "body": response.read().decode(errors="replace")}',
    '    except urllib.error.HTTPError as error:',
    '        outcome = {"status": error.code, "body": error.read().decode(errors="replace")}',
    '    except Exception as error:',
    '        outcome = {"status": None, "error": f"{type(error).__name__}: {error}"}',
    '    print("ATTEMPT " + json.dumps({"label": label, **outcome}))',
    'tool = {"agentId": "travel-local", "input": {"code": STEAL}}',
    'guess = "A" * 32',
    'attempt("no token", "/api/tools/run_python", tool)',
    'attempt("guessed bearer", "/api/tools/run_python", tool, {"authorization": "Bearer " + guess})',
    'attempt("token in the query", "/api/tools/run_python?token=" + guess, tool)',
    'attempt("guessed cookie", "/api/tools/run_python", tool, {"cookie": f"tidepool_token_{BASE.rsplit(\':\', 1)[1]}={guess}"})',
    'attempt("alias", "/api/tools/run_python", {"agentId": "local", "input": {"code": STEAL}})',
    'attempt("localhost as Host", "/api/tools/run_python", tool, {"host": "localhost"})',
    'attempt("chat completions", "/v1/chat/completions", {"model": "travel-local", "messages": [{"role": "user", "content": STEAL}]})',
    'attempt("new conversation", "/api/conversations", {"agentId": "travel-local"})',
    'print("ATTACK-DONE")',
  ].join('\n');
}

interface ServeProcess {
  child: ChildProcess;
  url: string;
  port: number;
  token: string;
  output: () => string;
}

async function startServeProcess(args: string[], env: Record<string, string>, cwd: string): Promise<ServeProcess> {
  const child = spawn(process.execPath, ['--experimental-transform-types', '--no-warnings', SERVE_PROCESS, 'serve', '--port', '0', ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tidepool serve did not start:\n${output}`)), 30_000);
    const check = () => {
      if (output.includes('Press Ctrl-C')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`tidepool serve exited (${code}):\n${output}`));
    });
  });
  const [, url, port, token] = /serving at (http:\/\/127\.0\.0\.1:(\d+))\/\?token=(\S+)/.exec(output) ?? [];
  return { child, url: url!, port: Number(port), token: token!, output: () => output };
}

async function stopServeProcess(server: ServeProcess | undefined): Promise<void> {
  if (!server || server.child.exitCode !== null) return;
  const exited = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.kill('SIGTERM');
  const timer = setTimeout(() => server.child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

interface ToolResult {
  sandboxType?: string;
  text?: string;
  error?: { code: string; message: string };
}

describe.each([
  { label: 'default settings (Local off beside the pool)', flags: [] as string[] },
  { label: '--allow-unsandboxed-local (only the token stands in the way)', flags: ['--allow-unsandboxed-local'] },
])('a pool session attacking tidepool serve, $label', ({ flags }) => {
  const canaryEnv = `canary-env-${crypto.randomUUID()}`;
  const canaryFile = `canary-file-${crypto.randomUUID()}`;
  let dir: string;
  let home: string;
  let server: ServeProcess | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'tidepool-attack-'));
    // A fresh HOME holding the secret file, and an environment holding the secret variable.
    home = mkdtempSync(path.join(dir, 'home-'));
    writeFileSync(path.join(home, 'secret.txt'), canaryFile);
    server = await startServeProcess(['--db', path.join(dir, 'tidepool.db'), ...flags], { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, TIDEPOOL_CANARY_SECRET: canaryEnv }, dir);
  }, 60_000);

  afterAll(async () => {
    await stopServeProcess(server);
    rmSync(dir, { recursive: true, force: true });
  });

  const runPython = async (agentId: string, code: string): Promise<{ status: number; raw: string; body: ToolResult }> => {
    const response = await fetch(`${server!.url}/api/tools/run_python`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${server!.token}` },
      body: JSON.stringify({ agentId, input: { code, timeoutMs: 120_000 } }),
    });
    const raw = await response.text();
    return { status: response.status, raw, body: JSON.parse(raw) as ToolResult };
  };

  if (flags.includes('--allow-unsandboxed-local')) {
    it('control: the stealing code does find both canaries when Local runs it for the token holder', async () => {
      const { status, body } = await runPython('travel-local', STEAL);
      expect(status, JSON.stringify(body)).toBe(200);
      expect(body.text).toContain(canaryEnv);
      expect(body.text).toContain(canaryFile);
      expect(existsSync(path.join(home, 'pwned'))).toBe(true);
      rmSync(path.join(home, 'pwned'));
    }, 60_000);
  } else {
    it('control: Local is not even offered to the token holder', async () => {
      const { status, body } = await runPython('travel-local', STEAL);
      expect(status).toBe(503);
      expect(body.error?.message).toContain('--allow-unsandboxed-local');
    });
  }

  it('never reaches the host: each attempt is refused or cannot connect, and no canary leaks', async () => {
    const { status, raw, body } = await runPython('travel-pool', attackFromSession(server!.port));
    expect(status, raw).toBe(200);
    expect(body.sandboxType).toBe('Sandbox-Pool');
    // The attack really ran to the end inside the session.
    expect(body.text).toContain('ATTACK-DONE');
    const attempts = [...body.text!.matchAll(/^ATTEMPT (.*)$/gm)].map((match) => JSON.parse(match[1]!) as { label: string; status: number | null; body?: string; error?: string });
    expect(attempts).toHaveLength(8);
    for (const attempt of attempts) {
      // Refused with 401 (no token), 403 (a Host header that is not this server's), or never connected.
      expect([401, 403, null], JSON.stringify(attempt)).toContain(attempt.status);
    }
    expect(raw).not.toContain(canaryEnv);
    expect(raw).not.toContain(canaryFile);
    expect(server!.output()).not.toContain(canaryEnv);
    expect(existsSync(path.join(home, 'pwned'))).toBe(false);
  }, 120_000);
});
