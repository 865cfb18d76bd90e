import { createSandbox, isSandboxError } from '../../src/index.js';
import { defineSandboxContract } from './sandbox-contract.js';

/** Sandbox-Pool is built alongside this suite; until the factory knows it, say so rather than fail. */
function unavailableReason(): string | undefined {
  try {
    void createSandbox('Sandbox-Pool').close();
    return undefined;
  } catch (error) {
    if (isSandboxError(error) && error.code === 'configuration') return error.message;
    throw error;
  }
}

defineSandboxContract({
  name: 'Sandbox-Pool',
  create: (options) => createSandbox('Sandbox-Pool', { ...options, pool: { pool: { outputLimitBytes: 4096 } } }),
  shortTimeoutMs: 1000,
  outputLimitBytes: 4096,
  testTimeoutMs: 60_000,
  skip: unavailableReason(),
});
