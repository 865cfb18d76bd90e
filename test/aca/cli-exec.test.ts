/**
 * `tidepool exec --sandbox aca` as a real process against `tidepool pool serve` as a real process:
 * the whole path a user takes, from environment variables to printed output and exit code.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'bin/tidepool.js');
const API_KEY = randomBytes(16).toString('hex');
let server: ChildProcess | undefined;
let endpoint = '';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function tidepool(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    // Only what the test sets, plus PATH: no ACA_* or .env settings from the machine leak in.
    execFile(process.execPath, [BIN, ...args], { cwd: '/tmp', env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env }, timeout: 90_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  // The CLI runs from dist/: build it, as a user would (errors elsewhere in the tree still emit JavaScript).
  await new Promise<void>((resolve) => execFile(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT }, () => resolve()));
  expect(existsSync(path.join(ROOT, 'dist/sandbox/backends/aca/aca-sandbox.js'))).toBe(true);

  server = spawn(process.execPath, [BIN, 'pool', 'serve', '--port', '0', '--api-key', API_KEY, '--ready-sessions', '1'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', TIDEPOOL_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  server.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines = createInterface({ input: server.stdout! });
  endpoint = await new Promise<string>((resolve, reject) => {
    lines.once('line', (line) => resolve(line.trim()));
    server!.once('exit', (code) => reject(new Error(`tidepool pool serve exited with ${code} before printing its URL:\n${stderr}`)));
  });
}, 180_000);

afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server!.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
  }
});

describe('tidepool exec --sandbox aca against tidepool pool serve', () => {
  it('prints 42 with exit code 0 and the ACA lifecycle lines', async () => {
    expect(endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+/);
    const run = await tidepool(['exec', 'print(6*7)', '--sandbox', 'aca'], { ACA_POOL_MANAGEMENT_ENDPOINT: endpoint, ACA_POOL_ACCESS_TOKEN: API_KEY });
    expect(run.stderr).toContain('☁️ ACA Sandbox creating');
    expect(run.stderr).toMatch(/✅ ACA Sandbox execution finished/);
    expect(run.stdout).toBe('42\n');
    expect(run.code).toBe(0);
  });

  it('works with a gen-2 API version, keeps a named session, and exits 1 with the traceback when the code raises', async () => {
    const env = { ACA_POOL_MANAGEMENT_ENDPOINT: `${endpoint}/`, ACA_POOL_ACCESS_TOKEN: API_KEY, ACA_API_VERSION: '2025-10-02-preview' };
    expect((await tidepool(['exec', 'x = "🌊"', '--sandbox', 'Sandbox-ACA', '--session', 'cli-session-1'], env)).code).toBe(0);
    const reused = await tidepool(['exec', 'print(x * 3)', '--sandbox', 'aca', '--session', 'cli-session-1'], env);
    expect(reused.stdout).toBe('🌊🌊🌊\n');
    const failed = await tidepool(['exec', '1/0', '--sandbox', 'aca'], env);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/Traceback[\s\S]*ZeroDivisionError: division by zero/);
  });

  it('says which variable to set when the endpoint is missing (exit 2)', async () => {
    const run = await tidepool(['exec', '1', '--sandbox', 'aca'], {});
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/Set ACA_POOL_MANAGEMENT_ENDPOINT.*docs\/azure\.md/);
  });

  it('says the key is wrong (exit 1) with the status', async () => {
    const run = await tidepool(['exec', '1', '--sandbox', 'aca'], { ACA_POOL_MANAGEMENT_ENDPOINT: endpoint, ACA_POOL_ACCESS_TOKEN: 'wrong' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/HTTP 401/);
    expect(run.stderr).toMatch(/ACA_POOL_ACCESS_TOKEN/);
  });
});

describe('tidepool exec with no --sandbox', () => {
  it('uses the embedded pool by default', async () => {
    const run = await tidepool(['exec', 'print(6*7)'], {});
    expect(run.stderr).toContain('🌊 Pool Sandbox creating');
    expect(run.stdout).toBe('42\n');
    expect(run.code).toBe(0);
  });
});
