/**
 * `Sandbox-ACA`: Azure Container Apps dynamic sessions (Hyper-V isolated Jupyter kernels),
 * reached over the data-plane REST API with an Entra ID token or a fixed bearer token.
 */
import { DEFAULT_TIMEOUT_MS } from '../../execution.js';
import type { SandboxOptions } from '../../types.js';
import { AcaClient, type AcaClientOptions } from './aca-client.js';
import { RemoteSandbox } from './remote-sandbox.js';

export const ACA_BANNER = '☁️ [Azure Container Apps Sandbox]';

export interface AcaSandboxOptions extends SandboxOptions, AcaClientOptions {}

/**
 * Reads settings now (a missing ACA_POOL_MANAGEMENT_ENDPOINT throws ConfigurationError here)
 * and sends nothing until a session is first used.
 */
export function createAcaSandbox(options: AcaSandboxOptions = {}): RemoteSandbox {
  const client = new AcaClient(options);
  return new RemoteSandbox(
    {
      type: 'Sandbox-ACA',
      banner: ACA_BANNER,
      api: client.api,
      defaultTimeoutMs: options.defaultTimeoutMs ?? DEFAULT_TIMEOUT_MS,
      languages: (signal) => client.languages({ signal }),
      connect: () => Promise.resolve(client),
      describe: () => `Sandbox-ACA (the pool at ${client.endpoint})`,
    },
    options,
  );
}
