/**
 * Chooses the Azure identity for the data plane. Loaded on first use only: @azure/identity is
 * large, and most runs (Local, the embedded pool) never need it.
 */
import type { TokenCredential } from '@azure/identity';
import type { Env } from '../../../config/settings.js';

/**
 * AZURE_CLIENT_ID alone means "this user-assigned managed identity". With a secret, certificate
 * or federated token file beside it, it describes a service principal, which DefaultAzureCredential
 * (through EnvironmentCredential / WorkloadIdentityCredential) already handles.
 */
export async function createAzureCredential(managedIdentityClientId: string | undefined, env: Env): Promise<TokenCredential> {
  const identity = await import('@azure/identity');
  const describesServicePrincipal = Boolean(env.AZURE_CLIENT_SECRET || env.AZURE_CLIENT_CERTIFICATE_PATH || env.AZURE_FEDERATED_TOKEN_FILE);
  if (managedIdentityClientId && !describesServicePrincipal) {
    return new identity.ManagedIdentityCredential({ clientId: managedIdentityClientId });
  }
  return new identity.DefaultAzureCredential();
}
