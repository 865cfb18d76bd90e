/**
 * The language cases on Sandbox-ACA against Tidepool's own NodeLTS and Shell pools on loopback: the
 * client asks the pool's metadata once, sends JavaScript as `code` (NodeLTS) or `shellCommand`
 * executions (Shell, gen-2), and refuses the languages the pool does not run.
 */
import { afterAll, beforeAll, describe } from 'vitest';
import { createAcaSandbox } from '../../src/index.js';
import { startPoolServer, type RunningPoolServer } from '../../src/pool/index.js';
import { defineLanguageContract } from './sandbox-contract.js';

const POOLS = [
  { containerType: 'node', name: 'NodeLTS' },
  { containerType: 'shell', name: 'Shell' },
] as const;

for (const { containerType, name } of POOLS) {
  describe(`${name} pool`, () => {
    let pool: RunningPoolServer | undefined;

    beforeAll(async () => {
      pool = await startPoolServer({ host: '127.0.0.1', port: 0, readySessions: 1, containerType, env: {} });
    }, 120_000);

    afterAll(async () => {
      await pool?.close();
    });

    defineLanguageContract({
      name: `Sandbox-ACA (gen-2, keyless loopback ${name} pool)`,
      create: (options) =>
        createAcaSandbox({
          ...options,
          env: { ACA_POOL_MANAGEMENT_ENDPOINT: pool!.url, ACA_POOL_ACCESS_TOKEN: '', ACA_API_VERSION: '2025-10-02-preview' },
        }),
      shortTimeoutMs: 1000,
      testTimeoutMs: 60_000,
    });
  });
}
