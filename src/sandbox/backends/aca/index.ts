/** The ACA dynamic-sessions client and the `Sandbox-ACA` backend. */
export { createAcaSandbox, ACA_BANNER, type AcaSandboxOptions } from './aca-sandbox.js';
export { AcaClient, toExecutionResult, DEFAULT_EXECUTION_GRACE_MS, type AcaClientOptions } from './aca-client.js';
export { RemoteSandbox, type RemoteSandboxConfig } from './remote-sandbox.js';
export { RemoteSession } from './remote-session.js';
export { DEFAULT_ACA_API_VERSION, SUPPORTED_ACA_API_VERSIONS, resolveApiVersion, type AcaApiVersion, type AcaGeneration } from './api-versions.js';
export { CredentialTokenProvider, StaticTokenProvider, DYNAMIC_SESSIONS_SCOPE, type TokenProvider } from './token-provider.js';
export { DEFAULT_RETRY_BOUNDS, type RetryBounds } from './retry-policy.js';
export { SESSION_EXECUTOR_ROLE } from './http-errors.js';
export { ENDPOINT_ENV, API_VERSION_ENV, ACCESS_TOKEN_ENV, isAzureEndpoint, normaliseEndpoint } from './settings.js';
export { parseTraceback } from './traceback.js';
