/**
 * Turns a sandbox name (`Local`, `Sandbox-Pool`, … or an alias such as `pool`) into a backend.
 * Returns at once: no backend does I/O before its first session is used.
 */
import { createAcaSandbox, type AcaSandboxOptions } from './backends/aca/aca-sandbox.js';
import { createDaytonaSandbox, type DaytonaSandboxOptions } from './backends/daytona/daytona-sandbox.js';
import { createE2BSandbox, type E2BSandboxOptions } from './backends/e2b/e2b-sandbox.js';
import { createLocalSandbox, type LocalSandboxOptions } from './backends/local/local-sandbox.js';
import { createPoolSandbox, type PoolSandboxOptions } from './backends/pool/pool-sandbox.js';
import { ConfigurationError } from '../errors.js';
import { resolveSandboxType } from './names.js';
import type { Sandbox, SandboxType } from './types.js';
import { instrumentSandbox, lifecycleTelemetry } from './instrumentation.js';

/** Options for any backend; each backend reads the ones it knows. */
export type CreateSandboxOptions = LocalSandboxOptions & {
  /** Sandbox-E2B's own options (key, template, lifetime); the shared ones above apply too. */
  e2b?: E2BSandboxOptions;
  /** Sandbox-Daytona's own options (key, API URL, target); the shared ones above apply too. */
  daytona?: DaytonaSandboxOptions;
  /** Sandbox-ACA's own options (endpoint, API version, credential, retries); the shared ones above apply too. */
  aca?: AcaSandboxOptions;
  /** Sandbox-Pool's own options (embedded pool settings, client tuning); the shared ones above apply too. */
  pool?: PoolSandboxOptions;
};

type Creator = (options: CreateSandboxOptions) => Sandbox;

const CREATORS: Partial<Record<SandboxType, Creator>> = {
  Local: createLocalSandbox,
  'Sandbox-E2B': ({ e2b, ...shared }) => createE2BSandbox({ ...shared, ...e2b }),
  'Sandbox-Daytona': ({ daytona, ...shared }) => createDaytonaSandbox({ ...shared, ...daytona }),
  'Sandbox-ACA': ({ aca, ...shared }) => createAcaSandbox({ ...shared, ...aca }),
  'Sandbox-Pool': ({ pool, ...shared }) => createPoolSandbox({ ...shared, ...pool }),
};

export function createSandbox(name: string, options: CreateSandboxOptions = {}): Sandbox {
  const type = resolveSandboxType(name);
  const create = CREATORS[type];
  if (!create) throw new ConfigurationError(`${type} is not available yet in this version of Tidepool; use Local for now.`);
  return instrumentSandbox(create({ ...options, onLifecycle: lifecycleTelemetry(options.onLifecycle) }));
}
