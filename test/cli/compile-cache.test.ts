/**
 * bin/tidepool.js keeps Node's compiled code in the user's cache directory; the environment
 * variables Node defines for it win, and a cache that cannot be written never stops a command.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const BIN = path.resolve(import.meta.dirname, '..', '..', 'bin', 'tidepool.js');
let home: string;

beforeEach(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'tidepool-cache-'));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

function version(env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, '--version'], { cwd: home, env: { PATH: process.env.PATH, HOME: home, ...env }, encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
  });
}

/** The directories Node made for its compile cache under `directory` (one per Node version), or none. */
async function cacheEntries(directory: string): Promise<string[]> {
  return readdir(directory).catch(() => []);
}

describe('the compile cache of bin/tidepool.js', () => {
  it('lives in $XDG_CACHE_HOME/tidepool, else ~/.cache/tidepool', async () => {
    expect(await version({ XDG_CACHE_HOME: path.join(home, 'xdg') })).toMatchObject({ code: 0, stdout: '0.1.0\n' });
    expect(await cacheEntries(path.join(home, 'xdg', 'tidepool', 'node-compile-cache'))).toHaveLength(1);
    expect(await version({ XDG_CACHE_HOME: 'relative/ignored' })).toMatchObject({ code: 0, stdout: '0.1.0\n' });
    expect(await cacheEntries(path.join(home, '.cache', 'tidepool', 'node-compile-cache'))).toHaveLength(1);
    expect(await cacheEntries(path.join(home, 'relative'))).toEqual([]);
  });

  it('follows NODE_COMPILE_CACHE, and writes none with NODE_DISABLE_COMPILE_CACHE', async () => {
    await version({ NODE_COMPILE_CACHE: path.join(home, 'chosen'), XDG_CACHE_HOME: path.join(home, 'xdg') });
    expect(await cacheEntries(path.join(home, 'chosen'))).toHaveLength(1);
    expect(await cacheEntries(path.join(home, 'xdg'))).toEqual([]);
    expect(await version({ NODE_DISABLE_COMPILE_CACHE: '1', XDG_CACHE_HOME: path.join(home, 'xdg') })).toMatchObject({ code: 0, stdout: '0.1.0\n' });
    expect(await cacheEntries(path.join(home, 'xdg'))).toEqual([]);
  });

  it('runs the command all the same when the cache cannot be written', async () => {
    // A file where the directory should be: nothing can be created below it.
    await writeFile(path.join(home, 'not-a-directory'), '');
    expect(await version({ XDG_CACHE_HOME: path.join(home, 'not-a-directory') })).toEqual({ code: 0, stdout: '0.1.0\n', stderr: '' });
  });
});
