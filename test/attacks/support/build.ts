/**
 * Makes sure `dist/` (what `bin/tidepool.js` runs) is at least as new as `src/`, building once when
 * it is not. Several test files may ask at the same time, so a lock directory serialises the build.
 *
 * TIDEPOOL_ATTACK_TARGET may name another checkout of the project (with its own node_modules or a
 * link to one) to attack instead of this one, e.g. a copy of a released version for comparison.
 */
import { execFile } from 'node:child_process';
import { mkdir, readdir, rmdir, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(process.env.TIDEPOOL_ATTACK_TARGET || path.join(path.dirname(fileURLToPath(import.meta.url)), '../../..'));
export const CLI_ENTRY = path.join(REPO_ROOT, 'bin', 'tidepool.js');
const BUILT_MARKER = path.join(REPO_ROOT, 'dist', 'cli', 'main.js');
const LOCK_DIR = path.join(os.tmpdir(), 'tidepool-attacks-build.lock');
const LOCK_STALE_MS = 5 * 60_000;

async function newestMtime(dir: string): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, await newestMtime(full));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, (await stat(full)).mtimeMs);
  }
  return newest;
}

async function isStale(): Promise<boolean> {
  let built: number;
  try {
    built = (await stat(BUILT_MARKER)).mtimeMs;
  } catch {
    return true;
  }
  const sources = Math.max(
    await newestMtime(path.join(REPO_ROOT, 'src')),
    (await stat(path.join(REPO_ROOT, 'tsconfig.build.json'))).mtimeMs,
  );
  return sources > built;
}

async function acquireLock(): Promise<void> {
  for (;;) {
    try {
      await mkdir(LOCK_DIR);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const age = Date.now() - (await stat(LOCK_DIR).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
      if (age > LOCK_STALE_MS) await rmdir(LOCK_DIR).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

function runBuild(): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile('npm', ['run', 'build'], { cwd: REPO_ROOT, env: process.env, maxBuffer: 16 * 1024 * 1024, timeout: 5 * 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}

/** Builds `dist/` when any TypeScript source is newer than it. */
export async function ensureBuilt(): Promise<void> {
  if (!(await isStale())) return;
  await acquireLock();
  try {
    if (!(await isStale())) return;
    const { code, output } = await runBuild();
    // tsc still writes JavaScript when it reports type errors; only a missing entry point is fatal.
    if (code !== 0) console.warn(`npm run build exited with ${code}; running against what it emitted.\n${output.slice(-4000)}`);
    await stat(BUILT_MARKER);
  } finally {
    await rmdir(LOCK_DIR).catch(() => undefined);
  }
}
