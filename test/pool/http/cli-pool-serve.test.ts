/** `tidepool pool serve`: flag and environment validation (exit 2), the one-line URL, and a clean shutdown. */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { buildProgram, main } from '../../../src/cli/main.js';
import type { CliContext } from '../../../src/cli/context.js';
import { MemoryStream } from '../../support/streams.js';
import { gen1Exec, V1 } from './app-harness.js';

async function cli(args: string[], env: Record<string, string | undefined> = {}) {
  const stdout = new MemoryStream();
  const stderr = new MemoryStream();
  const code = await main(['node', 'tidepool', 'pool', 'serve', ...args], { stdout, stderr, env: { PATH: process.env.PATH, ...env } });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** Our own child processes (kernels, bwrap, zygote), as `ps` sees them. */
function childProcesses(): string[] {
  const output = execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(process.pid)], { encoding: 'utf8' }).trim();
  return output
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.endsWith(' ps'));
}

describe('tidepool pool serve: bad values', () => {
  it.each([
    [['--port', 'http'], /--port \(or TIDEPOOL_POOL_PORT\)/],
    [['--max-sessions', '0'], /--max-sessions \(or TIDEPOOL_POOL_MAX_SESSIONS\) must be a whole number of 1 or more/],
    [['--ready-sessions', '-1'], /--ready-sessions \(or TIDEPOOL_POOL_READY_SESSIONS\)/],
    [['--isolation', 'docker'], /--isolation \(or TIDEPOOL_POOL_ISOLATION\) must be one of bwrap, none/],
    [['--egress', 'maybe'], /--egress \(or TIDEPOOL_POOL_EGRESS\) must be on or off/],
    [['--max-execution-seconds', '1.5'], /--max-execution-seconds \(or TIDEPOOL_POOL_MAX_EXECUTION_SECONDS\)/],
    [['--max-connections', '0'], /--max-connections \(or TIDEPOOL_POOL_MAX_CONNECTIONS\) must be a whole number of 1 or more/],
    [['--max-connections-per-client', 'many'], /--max-connections-per-client \(or TIDEPOOL_POOL_MAX_CONNECTIONS_PER_CLIENT\)/],
    [['--result-store-mb', '-1'], /--result-store-mb \(or TIDEPOOL_POOL_RESULT_STORE_MB\)/],
    [['--max-result-mb', '0'], /--max-result-mb \(or TIDEPOOL_POOL_MAX_RESULT_MB\)/],
    [['--port', '0', '--max-result-mb', '300'], /--max-result-mb.*cannot exceed resultStoreMb/],
  ])('exits 2 for %j, naming the flag and the variable', async (args, message) => {
    const run = await cli(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe('');
  });

  it('exits 2 for a bad environment value, naming the variable and the flag', async () => {
    const run = await cli(['--port', '0'], { TIDEPOOL_POOL_COOLDOWN_SECONDS: 'soon' });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('TIDEPOOL_POOL_COOLDOWN_SECONDS / --cooldown-seconds');
  });

  it.each([
    [['--port', '0', '--egress', 'on'], {}],
    [['--port', '0'], { TIDEPOOL_POOL_EGRESS: 'on' }],
  ])('exits 2 with one line naming both fixes for egress on without an API key (%j %j)', async (args, env) => {
    const run = await cli(args, env);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^Error: .*Set --api-key\/TIDEPOOL_POOL_API_KEYS, or --egress off\.\n$/);
  });

  it('exits 2 when asked to listen beyond loopback without an API key', async () => {
    const run = await cli(['--host', '0.0.0.0', '--port', '0']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--api-key');
    expect(run.stderr).toContain('127.0.0.1');
  });
});

describe('tidepool pool serve: running', () => {
  it('prints exactly the endpoint URL, serves, and ends every session on shutdown', async () => {
    const stdout = new MemoryStream();
    const stderr = new MemoryStream();
    const controller = new AbortController();
    const context: CliContext = { stdout, stderr, env: { PATH: process.env.PATH }, exitCode: 0, shutdownSignal: controller.signal };
    const running = buildProgram(context).parseAsync(['node', 'tidepool', 'pool', 'serve', '--port', '0', '--api-key', 'cli-key', '--ready-sessions', '1', '--max-sessions', '4']);
    let url = '';
    for (let attempt = 0; attempt < 600 && !url; attempt++) {
      url = stdout.text.trim();
      if (!url) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(stdout.text).toMatch(/^http:\/\/127\.0\.0\.1:\d+\n$/);
    expect(url).not.toMatch(/:0$/);
    const response = await fetch(`${url}/code/execute?identifier=cli-session&${V1}`, {
      method: 'POST',
      headers: { authorization: 'Bearer cli-key', 'content-type': 'application/json' },
      body: JSON.stringify(gen1Exec('6 * 7')),
    });
    expect(((await response.json()) as { properties: { result: number } }).properties.result).toBe(42);
    expect(childProcesses().length).toBeGreaterThan(0);
    controller.abort();
    await running;
    expect(context.exitCode).toBe(0);
    expect(stdout.text.split('\n').filter(Boolean)).toHaveLength(1);
    expect(stderr.text).toContain('Pool stopped.');
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    // Give the kernel processes a moment to be reaped after SIGKILL.
    for (let attempt = 0; attempt < 50 && childProcesses().length > 0; attempt++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(childProcesses()).toEqual([]);
  });
});
