/**
 * Turns a sandbox name (`Local`, `Sandbox-Pool`, … or an alias such as `pool`) into a backend.
 * Returns at once: no backend does I/O before its first session is used.
 */
import { createLocalSandbox, type LocalSandboxOptions } from './backends/local/local-sandbox.js';
import { ConfigurationError } from './errors.js';
import { resolveSandboxType } from './names.js';
import type { Sandbox, SandboxType } from './types.js';

/** Options for any backend; each backend reads the ones it knows. */
export type CreateSandboxOptions = LocalSandboxOptions;

type Creator = (options: CreateSandboxOptions) => Sandbox;

const CREATORS: Partial<Record<SandboxType, Creator>> = {
  Local: createLocalSandbox,
};

export function createSandbox(name: string, options: CreateSandboxOptions = {}): Sandbox {
  const type = resolveSandboxType(name);
  const create = CREATORS[type];
  if (!create) throw new ConfigurationError(`${type} is not available yet in this version of Tidepool; use Local for now.`);
  return create(options);
}
