/** The shared contract, run on Sandbox-Daytona with the SDK faked at its boundary over real Python. */
import { afterAll } from 'vitest';
import { createDaytonaSandbox } from '../../src/index.js';
import { defineSandboxContract } from '../contract/sandbox-contract.js';
import { closeWorld, fakeDaytonaClass, newWorld } from './fake-daytona.js';

const world = newWorld();
afterAll(() => closeWorld(world));

defineSandboxContract({
  name: 'Sandbox-Daytona (fake SDK over real Python)',
  create: (options) =>
    createDaytonaSandbox({ ...options, apiKey: 'test-key', outputLimitBytes: 4096, sdk: { Daytona: fakeDaytonaClass(world) } }),
  shortTimeoutMs: 1000,
  outputLimitBytes: 4096,
});
