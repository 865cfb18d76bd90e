/**
 * Resolves the ACA backend's settings once: option, else environment variable, else default
 * (or an error naming both ways to fix it). No I/O happens here.
 */
import type { TokenCredential } from '@azure/identity';
import { isLoopback } from '../../../config/network.js';
import { stringSetting, type Env } from '../../../config/settings.js';
import { ConfigurationError } from '../../../errors.js';
import { DEFAULT_ACA_API_VERSION, resolveApiVersion, type AcaApiVersion } from './api-versions.js';

export const ENDPOINT_ENV = 'ACA_POOL_MANAGEMENT_ENDPOINT';
export const API_VERSION_ENV = 'ACA_API_VERSION';
export const ACCESS_TOKEN_ENV = 'ACA_POOL_ACCESS_TOKEN';
export const CLIENT_ID_ENV = 'AZURE_CLIENT_ID';

export interface AcaConnectionOptions {
  /** The pool's management endpoint; default ACA_POOL_MANAGEMENT_ENDPOINT. */
  poolManagementEndpoint?: string;
  /** Data-plane API version; default ACA_API_VERSION, else 2024-02-02-preview. */
  apiVersion?: string;
  /**
   * A fixed bearer token (e.g. a Tidepool pool's API key); default ACA_POOL_ACCESS_TOKEN (empty counts
   * as unset). Skips Azure sign-in. Without one, a loopback http:// endpoint gets no Authorization header.
   */
  accessToken?: string;
  /** The Azure identity to get tokens from; default DefaultAzureCredential, or ManagedIdentityCredential when AZURE_CLIENT_ID is set. */
  credential?: TokenCredential;
  /** Where settings are read from; default process.env. */
  env?: Env;
}

/**
 * How requests are authorised: a fixed bearer token, an Azure identity, or nothing at all (a
 * loopback http:// pool with no token set, such as `tidepool pool serve` without --api-key).
 */
export type AcaAuthMode = 'token' | 'azure' | 'none';

export interface ResolvedAcaConnection {
  endpoint: string;
  api: AcaApiVersion;
  auth: AcaAuthMode;
  accessToken?: string;
  credential?: TokenCredential;
  /** Managed identity client id, when the credential should be a user-assigned managed identity. */
  managedIdentityClientId?: string;
  env: Env;
}

export function resolveAcaConnection(options: AcaConnectionOptions): ResolvedAcaConnection {
  const env = options.env ?? process.env;
  const rawEndpoint = stringSetting(options.poolManagementEndpoint, ENDPOINT_ENV, env);
  if (rawEndpoint === undefined) {
    throw new ConfigurationError(
      `Set ${ENDPOINT_ENV} or pass poolManagementEndpoint: the session pool's management endpoint, ` +
        'e.g. https://<region>.dynamicsessions.io/subscriptions/<sub>/resourceGroups/<rg>/sessionPools/<pool>. ' +
        'docs/azure.md shows how to create a pool and print its endpoint.',
    );
  }
  const endpoint = normaliseEndpoint(rawEndpoint);
  const api = resolveApiVersion(stringSetting(options.apiVersion, API_VERSION_ENV, env) ?? DEFAULT_ACA_API_VERSION);
  const accessToken = stringSetting(options.accessToken, ACCESS_TOKEN_ENV, env);
  const url = new URL(endpoint);
  const plainHttp = url.protocol === 'http:';
  if (plainHttp && accessToken === undefined && options.credential === undefined && !isLoopback(url.hostname)) {
    // An Entra ID token is a credential for the whole pool; never send one in clear text.
    throw new ConfigurationError(
      `${ENDPOINT_ENV} (${endpoint}) uses http:// to a remote host; Azure tokens are only sent over https. Use the https endpoint, or set ${ACCESS_TOKEN_ENV} for a Tidepool pool.`,
    );
  }
  // A plain-http pool on this machine is a Tidepool pool (or an emulator), never Azure: without a
  // token it gets no Authorization header, rather than a sign-in attempt that cannot help.
  const auth: AcaAuthMode = accessToken !== undefined ? 'token' : options.credential === undefined && plainHttp ? 'none' : 'azure';
  return {
    endpoint,
    api,
    auth,
    accessToken,
    credential: options.credential,
    managedIdentityClientId: stringSetting(undefined, CLIENT_ID_ENV, env),
    env,
  };
}

/** Trims whitespace and trailing slashes and checks the URL, so paths can be appended with one `/`. */
export function normaliseEndpoint(raw: string): string {
  const trimmed = raw.trim().replace(/\/+$/, '');
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    throw new ConfigurationError(`${ENDPOINT_ENV} is not a URL: "${raw}". Copy the pool's poolManagementEndpoint (see docs/azure.md).`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigurationError(`${ENDPOINT_ENV} must be an https:// (or, for a local pool, http://) URL, got "${raw}".`);
  }
  if (url.search || url.hash) {
    throw new ConfigurationError(`${ENDPOINT_ENV} must not contain a query string or fragment, got "${raw}".`);
  }
  return trimmed;
}

/** True for Azure's own session-pool hosts (as opposed to a Tidepool pool or an emulator). */
export function isAzureEndpoint(endpoint: string): boolean {
  try {
    const url = new URL(endpoint);
    return url.protocol === 'https:' && (url.hostname.endsWith('.dynamicsessions.io') || url.hostname.endsWith('.azurecontainerapps.io'));
  } catch {
    return false;
  }
}
