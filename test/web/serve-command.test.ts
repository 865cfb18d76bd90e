import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/main.js';
import type { CliContext } from '../../src/cli/context.js';
import { MemoryStream } from '../support/streams.js';

describe('tidepool serve', () => {
  it('prints the URL, serves until asked to stop, and names unavailable backends', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tidepool-serve-'));
    const controller = new AbortController();
    const stdout = new MemoryStream();
    const context: CliContext = { stdout, stderr: new MemoryStream(), env: {}, exitCode: 0, shutdownSignal: controller.signal };
    const running = buildProgram(context).parseAsync(['node', 'tidepool', 'serve', '--port', '0', '--host', '127.0.0.1', '--db', path.join(dir, 'db.sqlite')]);
    try {
      await expect.poll(() => stdout.text, { timeout: 10_000 }).toContain('Press Ctrl-C');
      const [, url, token] = /serving at (http:\/\/127\.0\.0\.1:\d+)\/\?token=([\w-]+)\n/.exec(stdout.text) ?? [];
      expect(url).toBeDefined();
      expect(token!.length).toBeGreaterThanOrEqual(22);
      expect((await fetch(`${url}/api/status`)).status).toBe(401);
      const status = (await (await fetch(`${url}/api/status`, { headers: { authorization: `Bearer ${token}` } })).json()) as { agents: { id: string; available: boolean }[] };
      expect(status.agents).toHaveLength(5);
      expect(status.agents.find((a) => a.id === 'travel-local')?.available).toBe(false);
      expect(stdout.text).toContain('travel-local unavailable: Local runs code on this machine without isolation');
      expect(stdout.text).toContain('--allow-unsandboxed-local');
      expect(stdout.text).toContain('travel-e2b unavailable: Set E2B_API_KEY');
      expect(stdout.text).toContain('No model configured');
    } finally {
      controller.abort();
      await running;
      rmSync(dir, { recursive: true, force: true });
    }
    expect(stdout.text).toContain('Stopping');
  });

  it('takes the token from --token or TIDEPOOL_WEB_TOKEN, and offers Local only with --allow-unsandboxed-local', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tidepool-serve-'));
    const serveOnce = async (args: string[], env: Record<string, string>) => {
      const controller = new AbortController();
      const stdout = new MemoryStream();
      const context: CliContext = { stdout, stderr: new MemoryStream(), env, exitCode: 0, shutdownSignal: controller.signal };
      const running = buildProgram(context).parseAsync(['node', 'tidepool', 'serve', '--port', '0', '--db', path.join(dir, 'db.sqlite'), ...args]);
      try {
        await expect.poll(() => stdout.text, { timeout: 10_000 }).toContain('Press Ctrl-C');
        const url = /serving at (http:\/\/127\.0\.0\.1:\d+)\//.exec(stdout.text)![1]!;
        const token = /\?token=(\S+)/.exec(stdout.text)![1]!;
        const status = (await (await fetch(`${url}/api/status`, { headers: { authorization: `Bearer ${token}` } })).json()) as { agents: { id: string; available: boolean }[] };
        return { token, local: status.agents.find((a) => a.id === 'travel-local')!.available, stdout: stdout.text };
      } finally {
        controller.abort();
        await running;
      }
    };
    try {
      expect(await serveOnce(['--token', 'flag-token-0123456789'], { TIDEPOOL_WEB_TOKEN: 'env-token-0123456789' })).toMatchObject({ token: 'flag-token-0123456789', local: false });
      const fromEnv = await serveOnce(['--allow-unsandboxed-local'], { TIDEPOOL_WEB_TOKEN: 'env-token-0123456789' });
      expect(fromEnv).toMatchObject({ token: 'env-token-0123456789', local: true });
      expect(fromEnv.stdout).not.toContain('travel-local unavailable');
      expect(await serveOnce([], { TIDEPOOL_WEB_ALLOW_UNSANDBOXED_LOCAL: '1' })).toMatchObject({ local: true });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('describes the token and the Local opt-in in --help, and refuses a weak token', async () => {
    const stdout = new MemoryStream();
    const help: CliContext = { stdout, stderr: new MemoryStream(), env: {}, exitCode: 0, shutdownSignal: new AbortController().signal };
    await expect(buildProgram(help).parseAsync(['node', 'tidepool', 'serve', '--help'])).rejects.toThrow();
    for (const text of ['--token <token>', 'TIDEPOOL_WEB_TOKEN', '?token=', 'Authorization: Bearer', '--allow-unsandboxed-local', 'TIDEPOOL_WEB_ALLOW_UNSANDBOXED_LOCAL', 'no isolation']) {
      expect(stdout.text.replace(/\s+/g, ' ')).toContain(text);
    }
    const weak: CliContext = { stdout: new MemoryStream(), stderr: new MemoryStream(), env: {}, exitCode: 0, shutdownSignal: new AbortController().signal };
    await expect(buildProgram(weak).parseAsync(['node', 'tidepool', 'serve', '--port', '0', '--token', 'abc'])).rejects.toThrow(/16 or more characters/);
  });

  it('rejects a port out of range with the option named', async () => {
    const stderr = new MemoryStream();
    const context: CliContext = { stdout: new MemoryStream(), stderr, env: {}, exitCode: 0, shutdownSignal: new AbortController().signal };
    await expect(buildProgram(context).parseAsync(['node', 'tidepool', 'serve', '--port', '70000'])).rejects.toThrow();
    expect(stderr.text).toContain('--port must be 0-65535');
  });
});
