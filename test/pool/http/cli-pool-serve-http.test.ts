/** `tidepool pool serve` with the HTTP edge's flags: bad values (exit 2, naming flag and variable) and a TLS pool with a keys file. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tidepool-cli-http-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('tidepool pool serve: HTTP edge flags, bad values', () => {
  it.each([
    [['--port', '0', '--tls', 'on'], {}, /TIDEPOOL_POOL_TLS \/ --tls/],
    [['--port', '0', '--tls-cert', '/nonexistent/cert.pem'], {}, /--tls-key/],
    [['--port', '0', '--tls-cert', '/nonexistent/cert.pem', '--tls-key', '/nonexistent/key.pem'], {}, /--tls-cert: cannot read the certificate/],
    [['--port', '0', '--auth', 'jwt'], {}, /--jwt-issuer.*required/],
    [['--port', '0', '--auth', 'jwt', '--jwt-issuer', 'https://sts.windows.net/t/'], {}, /--jwt-jwks.*required/],
    [['--port', '0', '--api-keys-file', '/nonexistent/keys'], {}, /--api-keys-file: cannot read/],
    [['--port', '0', '--legacy-api', 'maybe'], {}, /TIDEPOOL_POOL_LEGACY_API \/ --legacy-api/],
    [['--port', '0', '--execution-result', 'json'], {}, /--execution-result/],
    [['--port', '0'], { TIDEPOOL_POOL_AUTH: 'oauth' }, /TIDEPOOL_POOL_AUTH \/ --auth/],
  ])('exits 2 for %j %j', async (args, env, message) => {
    const run = await cli(args, env);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe('');
  });

  it('lets a flag replace its variable', async () => {
    const run = await cli(['--port', '0', '--legacy-api', 'bogus'], { TIDEPOOL_POOL_LEGACY_API: 'off' });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('"bogus"');
  });
});

describe('tidepool pool serve --tls self-signed --api-keys-file', () => {
  it('prints an https:// URL, logs the fingerprint and how to trust it, and serves the keys in the file', async () => {
    const keysFile = path.join(dir, 'keys');
    await writeFile(keysFile, 'file-key\n');
    const stdout = new MemoryStream();
    const stderr = new MemoryStream();
    const controller = new AbortController();
    const context: CliContext = { stdout, stderr, env: { PATH: process.env.PATH, TIDEPOOL_LOG_FORMAT: 'json' }, exitCode: 0, shutdownSignal: controller.signal };
    const args = ['--port', '0', '--tls', 'self-signed', '--api-keys-file', keysFile, '--legacy-api', 'off', '--isolation', 'none', '--ready-sessions', '0', '--max-sessions', '2'];
    const running = buildProgram(context).parseAsync(['node', 'tidepool', 'pool', 'serve', ...args]);
    let url = '';
    for (let attempt = 0; attempt < 600 && !url; attempt++) {
      url = stdout.text.trim();
      if (!url) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    try {
      expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const certificateFile = /NODE_EXTRA_CA_CERTS=(\S+) /.exec(stderr.text)?.[1];
      expect(certificateFile).toBeDefined();
      expect(stderr.text).toMatch(/SHA-256 fingerprint ([0-9A-F]{2}:){31}[0-9A-F]{2}/);
      const ca = await readFile(certificateFile!);
      const call = (target: string, key: string) =>
        new Promise<number>((resolve, reject) => {
          const request = httpsRequest(target, { method: 'POST', ca, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' } }, (response) => {
            response.resume();
            response.on('end', () => resolve(response.statusCode ?? 0));
          });
          request.on('error', reject);
          request.end(JSON.stringify(gen1Exec('6 * 7')));
        });
      expect(await call(`${url}/code/execute?identifier=cli-tls&${V1}`, 'file-key')).toBe(200);
      expect(await call(`${url}/code/execute?identifier=cli-tls&${V1}`, 'other-key')).toBe(401);
      expect(await call(`${url}/python/execute?identifier=cli-tls`, 'file-key')).toBe(404);
    } finally {
      controller.abort();
      await running;
    }
    expect(context.exitCode).toBe(0);
  });
});
