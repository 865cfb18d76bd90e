/**
 * Against a real Azure Container Apps session pool. Runs only when ACA_POOL_MANAGEMENT_ENDPOINT
 * points at Azure (https://<region>.dynamicsessions.io/…) and a token can be had (ACA_POOL_ACCESS_TOKEN,
 * a managed identity, or `az login`); otherwise it is skipped and says why. Every session it
 * creates is deleted at the end (DELETE session needs 2025-02-02-preview or later, so cleanup
 * uses 2025-10-02-preview whatever version a test used).
 *
 *   ACA_POOL_MANAGEMENT_ENDPOINT=https://… npx vitest run test/aca/live.test.ts
 */
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createAcaSandbox } from '../../src/sandbox/backends/aca/aca-sandbox.js';
import { AcaClient } from '../../src/sandbox/backends/aca/aca-client.js';
import { isAzureEndpoint } from '../../src/sandbox/backends/aca/settings.js';

const endpoint = process.env.ACA_POOL_MANAGEMENT_ENDPOINT?.trim() ?? '';

async function skipReason(): Promise<string | undefined> {
  if (!endpoint) return 'ACA_POOL_MANAGEMENT_ENDPOINT is not set';
  if (!isAzureEndpoint(endpoint) || !/\.dynamicsessions\.io\//.test(endpoint)) return `ACA_POOL_MANAGEMENT_ENDPOINT (${endpoint}) is not an Azure https://*.dynamicsessions.io/... endpoint`;
  if (process.env.ACA_POOL_ACCESS_TOKEN?.trim()) return undefined;
  try {
    // Ask for a token up front: "credentials present" means one can actually be had.
    await new AcaClient({ poolManagementEndpoint: endpoint }).prepare(AbortSignal.timeout(30_000));
    return undefined;
  } catch (error) {
    return `no Azure credentials (${(error as Error).message.split('. ')[0]})`;
  }
}

const reason = await skipReason();
if (reason) console.info(`[live ACA] skipped — ${reason}`);

const created: string[] = [];

afterAll(async () => {
  if (reason || created.length === 0) return;
  const cleaner = new AcaClient({ poolManagementEndpoint: endpoint, apiVersion: '2025-10-02-preview' });
  const failures: string[] = [];
  for (const identifier of created) {
    await cleaner.deleteSession(identifier).catch((error: Error) => failures.push(`${identifier}: ${error.message}`));
  }
  if (failures.length > 0) console.warn(`[live ACA] could not delete ${failures.length} session(s); they expire after the pool's cooldown:\n${failures.join('\n')}`);
}, 120_000);

describe.skipIf(reason !== undefined).each(['2024-02-02-preview', '2025-10-02-preview'])(`live Azure session pool (%s)${reason ? ` — skipped: ${reason}` : ''}`, (apiVersion) => {
  const sandbox = () => createAcaSandbox({ poolManagementEndpoint: endpoint, apiVersion });
  const session = (box: ReturnType<typeof sandbox>) => {
    const identifier = `tidepool-live-${randomUUID()}`;
    created.push(identifier);
    return box.session(identifier);
  };

  it('executes, keeps state, types results and reports exceptions', { timeout: 180_000 }, async () => {
    const box = sandbox();
    const cells = session(box);
    const first = await cells.execute("x = 21\nprint('héllo 🌊')");
    expect(first).toMatchObject({ status: 'success', stdout: 'héllo 🌊\n' });
    expect((await cells.execute('x * 2')).result).toBe(42);
    const failed = await cells.execute('1 / 0');
    expect(failed.status).toBe('failure');
    expect(failed.error?.type).toBe('ZeroDivisionError');
    expect(failed.error?.traceback).toMatch(/ZeroDivisionError/);
    await box.close();
  });

  it('round-trips a binary file with an emoji name and deletes it', { timeout: 180_000 }, async () => {
    const box = sandbox();
    const files = session(box);
    const bytes = new Uint8Array(256).map((_, index) => index);
    const name = 'tidepool 🌊.bin';
    await files.upload(name, bytes);
    expect((await files.list()).map((file) => file.name)).toContain(name);
    expect(await files.download(name)).toEqual(bytes);
    expect((await files.execute(`len(open('/mnt/data/${name}', 'rb').read())`)).result).toBe(256);
    await files.delete!(name).catch(() => undefined); // gen-1 file delete is undocumented; the session delete below removes it anyway
    await box.close();
  });
});
