/** The self-hosted, ACA-compatible session pool: its server and settings. */
export { startPoolServer, type PoolServerOptions, type RunningPoolServer } from './http/server.js';
export { createPoolApp } from './http/app.js';
export type { PoolAppDeps } from './http/context.js';
export {
  resolvePoolSettings,
  resolveListenSettings,
  DEFAULT_POOL_SETTINGS,
  DEFAULT_POOL_HOST,
  DEFAULT_POOL_PORT,
  type PoolListenSettings,
} from './settings.js';
export {
  resolveHttpSettings,
  httpFlagVariables,
  HTTP_FLAG_VARIABLES,
  DEFAULT_JWT_AUDIENCES,
  type PoolHttpOptions,
  type PoolHttpSettings,
  type AuthMode,
  type ExecutionResultFormat,
} from './http/http-settings.js';
export { API_VERSIONS, GEN1_API_VERSIONS, GEN2_API_VERSIONS } from './http/validation.js';
export { MAX_UPLOAD_BYTES } from './http/multipart.js';
export { PoolError } from './types.js';
export type * from './types.js';
