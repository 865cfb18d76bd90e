/** Live: runs only with E2B_API_KEY set. Every sandbox it creates is killed in afterAll (sandbox.close()). */
import { createE2BSandbox } from '../../src/index.js';
import { defineSandboxContract } from './sandbox-contract.js';

defineSandboxContract({
  name: 'Sandbox-E2B (live)',
  create: (options) => createE2BSandbox({ ...options, outputLimitBytes: 4096, sandboxTimeoutMs: 300_000 }),
  shortTimeoutMs: 3000,
  outputLimitBytes: 4096,
  testTimeoutMs: 120_000,
  skip: process.env.E2B_API_KEY?.trim() ? undefined : 'E2B_API_KEY is not set (see docs/e2b-daytona.md to run the live tests)',
});
