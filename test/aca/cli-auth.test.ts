/**
 * `tidepool exec --sandbox aca` in-process against `tidepool pool serve`'s server on loopback,
 * with and without API keys, as the README pairs them: an empty ACA_POOL_ACCESS_TOKEN is unset,
 * a keyless pool needs no credential, and a refused one is reported once.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { startPoolServer, type RunningPoolServer } from '../../src/pool/index.js';
import { resolvePoolSettings } from '../../src/pool/settings.js';
import { FakeSessionManager } from '../pool/http/fake-session-manager.js';
import { MemoryStream } from '../support/streams.js';

const API_KEY = randomBytes(16).toString('hex');
let keyless: RunningPoolServer | undefined;
let keyed: RunningPoolServer | undefined;

const manager = () => new FakeSessionManager(resolvePoolSettings({ readySessions: 0 }, {}));

beforeAll(async () => {
  keyless = await startPoolServer({ port: 0, sessionManager: manager(), env: {} });
  keyed = await startPoolServer({ port: 0, apiKeys: [API_KEY], sessionManager: manager(), env: {} });
});

afterAll(async () => {
  await keyless?.close();
  await keyed?.close();
});

async function exec(code: string, env: Record<string, string>) {
  const stdout = new MemoryStream();
  const stderr = new MemoryStream();
  // Only these settings: nothing from the machine's environment or a .env file.
  const exitCode = await main(['node', 'tidepool', 'exec', code, '--sandbox', 'aca'], { stdout, stderr, env: { PATH: process.env.PATH, ...env } });
  return { exitCode, stdout: stdout.text, stderr: stderr.text };
}

const occurrences = (text: string, part: string) => text.split(part).length - 1;

describe('tidepool exec --sandbox aca and pool keys', () => {
  it('runs on a keyless loopback pool with ACA_POOL_ACCESS_TOKEN set but empty, without trying Azure sign-in', async () => {
    const run = await exec('print(6 * 7)', { ACA_POOL_MANAGEMENT_ENDPOINT: keyless!.url, ACA_POOL_ACCESS_TOKEN: '' });
    expect(run.stdout).toBe('42\n');
    expect(run.exitCode).toBe(0);
    expect(run.stderr).not.toMatch(/Credential|az login|Azure token/);
  });

  it('says once, naming ACA_POOL_ACCESS_TOKEN, that a pool with keys wants one', async () => {
    const run = await exec('print(6 * 7)', { ACA_POOL_MANAGEMENT_ENDPOINT: keyed!.url, ACA_POOL_ACCESS_TOKEN: '' });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toBe('');
    expect(occurrences(run.stderr, 'requires an API key and none was sent: set ACA_POOL_ACCESS_TOKEN')).toBe(1);
    expect(run.stderr).toMatch(/HTTP 401/);
    expect(run.stderr).not.toMatch(/Credential/);
  });

  it('runs on the pool with keys once the token is one of them', async () => {
    const run = await exec('6 * 7', { ACA_POOL_MANAGEMENT_ENDPOINT: keyed!.url, ACA_POOL_ACCESS_TOKEN: API_KEY });
    expect(run.stdout).toBe('42\n');
    expect(run.exitCode).toBe(0);
  });
});
