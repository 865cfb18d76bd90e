import { createLocalSandbox } from '../../src/index.js';
import { defineSandboxContract } from './sandbox-contract.js';

defineSandboxContract({
  name: 'Local',
  create: (options) => createLocalSandbox({ ...options, outputLimitBytes: 4096, interruptGraceMs: 500 }),
  shortTimeoutMs: 500,
  outputLimitBytes: 4096,
});
