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
      const url = /serving at (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout.text)?.[1];
      expect(url).toBeDefined();
      const status = (await (await fetch(`${url}/api/status`)).json()) as { agents: { id: string }[] };
      expect(status.agents).toHaveLength(5);
      expect(stdout.text).toContain('travel-e2b unavailable: Set E2B_API_KEY');
      expect(stdout.text).toContain('No model configured');
    } finally {
      controller.abort();
      await running;
      rmSync(dir, { recursive: true, force: true });
    }
    expect(stdout.text).toContain('Stopping');
  });

  it('rejects a port out of range with the option named', async () => {
    const stderr = new MemoryStream();
    const context: CliContext = { stdout: new MemoryStream(), stderr, env: {}, exitCode: 0, shutdownSignal: new AbortController().signal };
    await expect(buildProgram(context).parseAsync(['node', 'tidepool', 'serve', '--port', '70000'])).rejects.toThrow();
    expect(stderr.text).toContain('--port must be 0-65535');
  });
});
