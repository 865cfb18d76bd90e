/**
 * The package's entries: the root (`tidepool`) carries the sandbox contract and the tools and stays
 * light; agents, the web server, the pool server, benchmarks and machine checks have entries of their
 * own. The CLI registers its commands without loading what they run.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BENCH_SUITE_NAMES } from '../../src/bench/suite-names.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

/** Runs a module-type script in a fresh Node.js in the package directory (so `tidepool` resolves to it). */
function script(source: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', source], { cwd: ROOT, encoding: 'utf8' }, (error, stdout, stderr) => (error ? reject(new Error(stderr || error.message)) : resolve(stdout)));
  });
}

describe('package entries', () => {
  it('the root exports the sandbox contract and the tools, and none of the heavy parts', async () => {
    const names = JSON.parse(await script("console.log(JSON.stringify(Object.keys(await import('tidepool'))))")) as string[];
    for (const name of ['createSandbox', 'SandboxError', 'formatLifecycleLine', 'createPoolSandbox', 'researchWeather', 'chartWeather', 'runPython', 'researchAnswer']) expect(names).toContain(name);
    for (const name of ['startWebServer', 'TravelAgents', 'startPoolServer', 'runBenchmarks', 'runChecks', 'createAiSdkTools']) expect(names).not.toContain(name);
  });

  it('importing the root loads neither the AI SDK, the web and pool servers, nor SQLite', async () => {
    const loaded = JSON.parse(
      await script(
        "import { registerHooks } from 'node:module'; const urls = []; registerHooks({ load(url, context, next) { urls.push(url); return next(url, context); } }); await import('tidepool'); console.log(JSON.stringify(urls));",
      ),
    ) as string[];
    expect(loaded.some((url) => url.includes('/dist/sandbox/factory.js'))).toBe(true);
    for (const heavy of ['/node_modules/ai/', '/node_modules/hono/', '/node_modules/@hono/', '/dist/web/', '/dist/agent/', '/dist/pool/http/', '/dist/bench/', 'node:sqlite']) {
      expect(loaded.filter((url) => url.includes(heavy))).toEqual([]);
    }
  });

  it.each([
    ['tidepool/agent', ['TravelAgents', 'resolveModelSetup', 'ConversationStore', 'createAiSdkTools', 'runAgentTool']],
    ['tidepool/web', ['startWebServer', 'resolveWebListenSettings', 'DEFAULT_WEB_PORT']],
    ['tidepool/pool', ['startPoolServer', 'resolvePoolSettings', 'PoolError']],
    ['tidepool/bench', ['runBenchmarks', 'BENCH_SUITES', 'BENCH_SUITE_NAMES']],
    ['tidepool/system', ['runChecks']],
  ])('%s exports %j', async (entry, expected) => {
    const names = JSON.parse(await script(`console.log(JSON.stringify(Object.keys(await import('${entry}'))))`)) as string[];
    for (const name of expected) expect(names).toContain(name);
  });

  it('the bench suite names list every suite, in order', async () => {
    const { SUITES } = await import('../../src/bench/run.js');
    expect(SUITES.map((suite) => suite.name)).toEqual([...BENCH_SUITE_NAMES]);
  });
});

describe('the CLI loads lazily', () => {
  it('--help loads no sandbox, server or agent module', async () => {
    const loaded = JSON.parse(
      await script(
        "import { registerHooks } from 'node:module'; const urls = []; registerHooks({ load(url, context, next) { urls.push(url); return next(url, context); } }); " +
          "const { main } = await import('./dist/cli/main.js'); const { Writable } = await import('node:stream'); const sink = new Writable({ write(c, e, cb) { cb(); } }); " +
          "await main(['node', 'tidepool', '--help'], { stdout: sink, stderr: sink, env: {} }); console.log(JSON.stringify(urls));",
      ),
    ) as string[];
    expect(loaded.some((url) => url.includes('/node_modules/commander/'))).toBe(true);
    for (const heavy of ['/node_modules/zod/', '/node_modules/pino/', '/dist/sandbox/factory.js', '/dist/web/', '/dist/pool/', '/dist/agent/', '/dist/bench/suites/']) {
      expect(loaded.filter((url) => url.includes(heavy))).toEqual([]);
    }
  });
});
