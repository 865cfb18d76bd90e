/** Live: runs only with DAYTONA_API_KEY set. Every sandbox it creates is deleted in afterAll (sandbox.close()). */
import { createDaytonaSandbox } from '../../src/index.js';
import { defineSandboxContract } from './sandbox-contract.js';

defineSandboxContract({
  name: 'Sandbox-Daytona (live)',
  create: (options) => createDaytonaSandbox({ ...options, outputLimitBytes: 4096, autoStopMinutes: 5 }),
  shortTimeoutMs: 3000,
  outputLimitBytes: 4096,
  testTimeoutMs: 180_000,
  skip: process.env.DAYTONA_API_KEY?.trim() ? undefined : 'DAYTONA_API_KEY is not set (see docs/e2b-daytona.md to run the live tests)',
});
