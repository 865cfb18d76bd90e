/** The installed CLI, as a real process: no E2B/Daytona key → exit 2 with a message naming the variable. */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve('.');
let cwd: string;

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = { ...process.env };
  delete env.E2B_API_KEY;
  delete env.DAYTONA_API_KEY;
  return new Promise((resolve) => {
    // A directory without .env, so nothing supplies a key behind the test's back.
    execFile(process.execPath, [path.join(root, 'bin/tidepool.js'), ...args], { cwd, env }, (error, stdout, stderr) => {
      resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  try {
    execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'pipe' });
  } catch {
    // Type errors elsewhere in a tree under construction still emit JavaScript; what matters is below.
  }
  expect(existsSync(path.join(root, 'dist/sandbox/backends/e2b/e2b-sandbox.js'))).toBe(true);
  cwd = await mkdtemp(path.join(os.tmpdir(), 'tidepool-nokey-'));
}, 120_000);

describe('tidepool exec without a cloud key', () => {
  it.each([
    ['e2b', 'E2B_API_KEY'],
    ['daytona', 'DAYTONA_API_KEY'],
  ])('--sandbox %s exits 2 and names %s', async (sandbox, variable) => {
    const result = await run(['exec', '1', '--sandbox', sandbox]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`Set ${variable}`);
    expect(result.stderr).not.toMatch(/\n\s+at .*\.js:\d+/);
  });
});
