/**
 * The package as users get it: `npm pack`, installed with npm into an empty directory, then
 * `npx tidepool exec "print(1)"` there on the pool. Also checks what the tarball carries: types for
 * every subpath export, the Python files, and that the optional framework adapters name their peer.
 * Dependencies come from the npm cache, or the registry when the cache lacks them.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
let work: string;
let app: string;
let env: NodeJS.ProcessEnv;

/** Runs a command with no stdin (npm would otherwise wait on an open pipe for answers). */
function run(file: string, args: string[], options: { cwd: string; timeout?: number }): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe'], timeout: options.timeout ?? 300_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) =>
      code === 0 ? resolve({ stdout, stderr }) : reject(new Error(`${path.basename(file)} ${args.join(' ')} failed (${signal ?? `exit ${code}`}):\n${stderr}`)),
    );
  });
}

// npm and npx as a user runs them, from PATH.
const npm = (args: string[], cwd: string) => run('npm', args, { cwd });

beforeAll(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), 'tidepool-pack-'));
  app = path.join(work, 'app');
  mkdirSync(app);
  // A home of its own: no .env, no running local pool; npm keeps using the machine's cache.
  env = { PATH: process.env.PATH, HOME: path.join(work, 'home'), npm_config_cache: process.env.npm_config_cache ?? path.join(os.homedir(), '.npm') };
  // dist/ is fresh (the test setup rebuilds it), so packing needs no build step.
  const packed = JSON.parse((await npm(['pack', '--ignore-scripts', '--json', '--pack-destination', work], ROOT)).stdout) as { filename: string }[];
  const tarball = path.join(work, packed[0]!.filename);
  writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'tidepool-pack-check', private: true, type: 'module' }));
  await npm(['install', tarball, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel', 'error'], app);
}, 600_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the packed tarball', () => {
  test('npx tidepool exec "print(1)" works from a clean directory', async () => {
    const { stdout } = await run('npx', ['--no-install', 'tidepool', 'exec', 'print(1)'], { cwd: app, timeout: 180_000 });
    expect(stdout).toMatch(/^1$/m);
  }, 240_000);

  test('ships types for every subpath export, the Python files and the changelog', () => {
    const installed = path.join(app, 'node_modules', 'tidepool');
    const manifest = JSON.parse(readFileSync(path.join(installed, 'package.json'), 'utf8')) as { exports: Record<string, string | { types: string; default: string }> };
    for (const [entry, target] of Object.entries(manifest.exports)) {
      if (typeof target === 'string') continue;
      expect(existsSync(path.join(installed, target.types)), `${entry} types`).toBe(true);
      expect(existsSync(path.join(installed, target.default)), `${entry} code`).toBe(true);
    }
    expect(Object.keys(manifest.exports)).toEqual(expect.arrayContaining(['./mcp', './ai-sdk', './langchain', './openai-agents', './telemetry']));
    expect(existsSync(path.join(installed, 'python', 'tidepool_kernel.py'))).toBe(true);
    expect(existsSync(path.join(installed, 'CHANGELOG.md'))).toBe(true);
    expect(existsSync(path.join(installed, 'src'))).toBe(false);
  });

  test('subpaths import; an adapter whose optional peer is missing names it', async () => {
    const load = (entry: string) => run(process.execPath, ['--input-type=module', '-e', `const m = await import('${entry}'); console.log(Object.keys(m).length);`], { cwd: app });
    for (const entry of ['tidepool', 'tidepool/mcp', 'tidepool/ai-sdk', 'tidepool/telemetry']) expect(Number((await load(entry)).stdout)).toBeGreaterThan(0);
    await expect(load('tidepool/langchain')).rejects.toThrow(/@langchain\/core/);
    await expect(load('tidepool/openai-agents')).rejects.toThrow(/@openai\/agents/);
  }, 60_000);

  test('TypeScript resolves the subpath types', async () => {
    writeFileSync(
      path.join(app, 'check.ts'),
      [
        "import { createSandbox, type ExecutionResult } from 'tidepool';",
        "import { startMcpHttpServer, type RunningMcpHttpServer } from 'tidepool/mcp';",
        "import { createAiSdkTools } from 'tidepool/ai-sdk';",
        "import { startTelemetryFromEnv } from 'tidepool/telemetry';",
        "const sandbox = createSandbox('pool');",
        'export const started: Promise<RunningMcpHttpServer> = startMcpHttpServer({ sandbox, port: 0 });',
        "export const tools = createAiSdkTools({ sandbox, sessionId: 'a' });",
        'export const telemetry = startTelemetryFromEnv({});',
        'export type Result = ExecutionResult;',
        '',
      ].join('\n'),
    );
    const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const args = ['--noEmit', '--strict', '--skipLibCheck', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2023', '--typeRoots', path.join(ROOT, 'node_modules', '@types'), '--types', 'node', 'check.ts'];
    await run(process.execPath, [tsc, ...args], { cwd: app });
  }, 120_000);
});
