/** The `Sandbox-Pool` backend: the ACA client pointed at an embedded Tidepool pool. */
export { createPoolSandbox, POOL_BANNER, POOL_API_VERSION, type PoolSandboxOptions, type EmbeddedPoolOptions } from './pool-sandbox.js';
