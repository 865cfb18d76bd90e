/**
 * The shared contract on Sandbox-ACA, against Tidepool's own pool on loopback with no API key:
 * the gen-1 wire (Sandbox-Pool covers gen-2), and the client sending no Authorization header.
 */
import { afterAll, beforeAll } from 'vitest';
import { createAcaSandbox } from '../../src/index.js';
import { startPoolServer, type RunningPoolServer } from '../../src/pool/index.js';
import { defineSandboxContract } from './sandbox-contract.js';

let pool: RunningPoolServer | undefined;

beforeAll(async () => {
  pool = await startPoolServer({ host: '127.0.0.1', port: 0, readySessions: 2, outputLimitBytes: 4096, env: {} });
}, 120_000);

afterAll(async () => {
  await pool?.close();
});

defineSandboxContract({
  name: 'Sandbox-ACA (gen-1, keyless loopback pool)',
  create: (options) =>
    createAcaSandbox({
      ...options,
      // An empty token variable counts as unset, as an unset one does in a shell.
      env: { ACA_POOL_MANAGEMENT_ENDPOINT: pool!.url, ACA_POOL_ACCESS_TOKEN: '', ACA_API_VERSION: '2024-02-02-preview' },
    }),
  shortTimeoutMs: 1000,
  outputLimitBytes: 4096,
  testTimeoutMs: 60_000,
});
