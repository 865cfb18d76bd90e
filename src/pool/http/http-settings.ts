/**
 * Settings of the pool's HTTP edge: how clients authenticate, whether it speaks TLS, and two
 * compatibility switches (the legacy python/* routes, string execution results). Each resolves
 * option → TIDEPOOL_POOL_* variable → default, and a bad value names its variable and flag.
 * Nothing here reads a file: the keys file, JWKS and certificates are opened when the server starts.
 */
import { isLoopback } from '../../config/network.js';
import { choiceSetting, invalidSetting, listSetting, onOffSetting, textSetting, type Env, type SettingName } from '../../config/settings.js';

/** `key`: static bearer keys (none on a loopback-only pool); `jwt`: bearer JWTs from an identity provider, plus any static keys. */
export type AuthMode = 'key' | 'jwt';
/** `typed`: executionResult as the service types it (numbers stay numbers); `string`: every gen-2 value as text. */
export type ExecutionResultFormat = 'typed' | 'string';

export interface JwtSettings {
  /** Accepted `iss` values; required, because one identity provider signs tokens for many tenants. */
  issuers: string[];
  /** Accepted `aud` values. */
  audiences: string[];
  /** Where the signing keys come from: a JWKS URL, or a JWKS file re-read when it changes. */
  jwks: { url: URL } | { file: string };
}

export interface PoolAuthSettings {
  mode: AuthMode;
  /** One key per line, re-read when it changes (TIDEPOOL_POOL_API_KEYS_FILE). */
  apiKeysFile: string | undefined;
  jwt: JwtSettings | undefined;
}

export type PoolTlsSettings = { mode: 'off' } | { mode: 'self-signed' } | { mode: 'files'; certFile: string; keyFile: string };

export interface PoolApiSettings {
  /** Serve the pre-2024 python/* routes (with a Deprecation header). Default true (TIDEPOOL_POOL_LEGACY_API). */
  legacyApi: boolean;
  /** Default typed (TIDEPOOL_POOL_EXECUTION_RESULT). */
  executionResult: ExecutionResultFormat;
}

export interface PoolHttpSettings {
  auth: PoolAuthSettings;
  tls: PoolTlsSettings;
  api: PoolApiSettings;
}

export interface PoolHttpOptions {
  /** Default none (TIDEPOOL_POOL_API_KEYS_FILE). */
  apiKeysFile?: string;
  /** Default key (TIDEPOOL_POOL_AUTH). */
  auth?: AuthMode;
  /** Required with auth jwt (TIDEPOOL_POOL_JWT_ISSUER, comma-separated). */
  jwtIssuers?: string[];
  /** Default https://dynamicsessions.io and https://acasessions.io (TIDEPOOL_POOL_JWT_AUDIENCE, comma-separated). */
  jwtAudiences?: string[];
  /** A JWKS URL or file; required with auth jwt (TIDEPOOL_POOL_JWT_JWKS). */
  jwtJwks?: string;
  /** Default off, or files when a certificate is given (TIDEPOOL_POOL_TLS). */
  tls?: 'off' | 'self-signed';
  /** PEM certificate chain (TIDEPOOL_POOL_TLS_CERT); needs tlsKeyFile. */
  tlsCertFile?: string;
  /** PEM private key (TIDEPOOL_POOL_TLS_KEY). */
  tlsKeyFile?: string;
  /** Default true (TIDEPOOL_POOL_LEGACY_API). */
  legacyApi?: boolean;
  /** Default typed (TIDEPOOL_POOL_EXECUTION_RESULT). */
  executionResult?: ExecutionResultFormat;
}

/**
 * Audiences Azure's clients ask tokens for: dynamicsessions.io is documented; Semantic Kernel Python
 * and LangChain.js still request acasessions.io, and the service accepts both.
 */
export const DEFAULT_JWT_AUDIENCES: readonly string[] = ['https://dynamicsessions.io', 'https://acasessions.io'];

const AUTH: SettingName = { option: 'auth', env: 'TIDEPOOL_POOL_AUTH', flag: '--auth' };
const API_KEYS_FILE: SettingName = { option: 'apiKeysFile', env: 'TIDEPOOL_POOL_API_KEYS_FILE', flag: '--api-keys-file' };
const JWT_ISSUERS: SettingName = { option: 'jwtIssuers', env: 'TIDEPOOL_POOL_JWT_ISSUER', flag: '--jwt-issuer' };
const JWT_AUDIENCES: SettingName = { option: 'jwtAudiences', env: 'TIDEPOOL_POOL_JWT_AUDIENCE', flag: '--jwt-audience' };
const JWT_JWKS: SettingName = { option: 'jwtJwks', env: 'TIDEPOOL_POOL_JWT_JWKS', flag: '--jwt-jwks' };
const TLS: SettingName = { option: 'tls', env: 'TIDEPOOL_POOL_TLS', flag: '--tls' };
const TLS_CERT: SettingName = { option: 'tlsCertFile', env: 'TIDEPOOL_POOL_TLS_CERT', flag: '--tls-cert' };
const TLS_KEY: SettingName = { option: 'tlsKeyFile', env: 'TIDEPOOL_POOL_TLS_KEY', flag: '--tls-key' };
const LEGACY_API: SettingName = { option: 'legacyApi', env: 'TIDEPOOL_POOL_LEGACY_API', flag: '--legacy-api' };
const EXECUTION_RESULT: SettingName = { option: 'executionResult', env: 'TIDEPOOL_POOL_EXECUTION_RESULT', flag: '--execution-result' };

function resolveJwks(raw: string): JwtSettings['jwks'] {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) return { file: raw };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalidSetting(JWT_JWKS, `"${raw}" is not a valid URL.`);
  }
  // Signing keys decide who gets in: fetched in clear text anyone on the path could swap them.
  const plainLoopback = url.protocol === 'http:' && isLoopback(url.hostname);
  if (url.protocol !== 'https:' && !plainLoopback) {
    throw invalidSetting(JWT_JWKS, `must be an https:// URL (http:// only on loopback) or a file path, got "${raw}".`);
  }
  return { url };
}

function resolveAuth(options: PoolHttpOptions, env: Env): PoolAuthSettings {
  const mode = choiceSetting(AUTH, options.auth, env, ['key', 'jwt'] as const) ?? 'key';
  const apiKeysFile = textSetting(API_KEYS_FILE, options.apiKeysFile, env);
  const issuers = listSetting(JWT_ISSUERS, options.jwtIssuers, env);
  const audiences = listSetting(JWT_AUDIENCES, options.jwtAudiences, env);
  const jwks = textSetting(JWT_JWKS, options.jwtJwks, env);
  if (mode === 'key') {
    const stray = issuers ? '--jwt-issuer' : audiences ? '--jwt-audience' : jwks ? '--jwt-jwks' : undefined;
    if (stray) throw invalidSetting(AUTH, `${stray} is set but the pool checks static keys; pass --auth jwt (or set TIDEPOOL_POOL_AUTH=jwt) to accept JWTs.`);
    return { mode, apiKeysFile, jwt: undefined };
  }
  if (!issuers) {
    throw invalidSetting(JWT_ISSUERS, 'is required with --auth jwt: name the token issuer of your tenant, e.g. https://sts.windows.net/<tenant-id>/ (v1 tokens) or https://login.microsoftonline.com/<tenant-id>/v2.0.');
  }
  if (!jwks) {
    throw invalidSetting(JWT_JWKS, 'is required with --auth jwt: a JWKS URL such as https://login.microsoftonline.com/<tenant-id>/discovery/v2.0/keys, or a JWKS file.');
  }
  return { mode, apiKeysFile, jwt: { issuers, audiences: audiences ?? [...DEFAULT_JWT_AUDIENCES], jwks: resolveJwks(jwks) } };
}

function resolveTls(options: PoolHttpOptions, env: Env): PoolTlsSettings {
  const modes = ['off', 'self-signed'] as const;
  // Options win over the environment as a whole, so a caller that passes tls: 'off' is never switched to https by a variable.
  const fromOptions = options.tls !== undefined || options.tlsCertFile !== undefined || options.tlsKeyFile !== undefined;
  const source = fromOptions ? {} : env;
  const mode = choiceSetting(TLS, options.tls, source, modes);
  const certFile = textSetting(TLS_CERT, options.tlsCertFile, source);
  const keyFile = textSetting(TLS_KEY, options.tlsKeyFile, source);
  if (mode === 'off') return { mode };
  if (mode === 'self-signed') {
    if (certFile || keyFile) throw invalidSetting(TLS, 'self-signed makes its own certificate: pass either --tls self-signed or --tls-cert with --tls-key, not both.');
    return { mode };
  }
  if (!certFile && !keyFile) return { mode: 'off' };
  if (!certFile) throw invalidSetting(TLS_CERT, 'is needed with --tls-key: pass the PEM certificate (chain) that goes with the key.');
  if (!keyFile) throw invalidSetting(TLS_KEY, 'is needed with --tls-cert: pass the PEM private key of the certificate.');
  return { mode: 'files', certFile, keyFile };
}

export function resolveHttpSettings(options: PoolHttpOptions = {}, env: Env = process.env): PoolHttpSettings {
  return {
    auth: resolveAuth(options, env),
    tls: resolveTls(options, env),
    api: {
      legacyApi: onOffSetting(LEGACY_API, options.legacyApi, env, true),
      executionResult: choiceSetting(EXECUTION_RESULT, options.executionResult, env, ['typed', 'string'] as const) ?? 'typed',
    },
  };
}

/**
 * The `pool serve` flags of these settings and their variables: the CLI hands flag values to the
 * server through its environment, where a flag's value replaces the variable's.
 */
export const HTTP_FLAG_VARIABLES = {
  apiKeysFile: 'TIDEPOOL_POOL_API_KEYS_FILE',
  auth: 'TIDEPOOL_POOL_AUTH',
  jwtIssuer: 'TIDEPOOL_POOL_JWT_ISSUER',
  jwtAudience: 'TIDEPOOL_POOL_JWT_AUDIENCE',
  jwtJwks: 'TIDEPOOL_POOL_JWT_JWKS',
  tls: 'TIDEPOOL_POOL_TLS',
  tlsCert: 'TIDEPOOL_POOL_TLS_CERT',
  tlsKey: 'TIDEPOOL_POOL_TLS_KEY',
  legacyApi: 'TIDEPOOL_POOL_LEGACY_API',
  executionResult: 'TIDEPOOL_POOL_EXECUTION_RESULT',
} as const;

/** Variables for the flags that were given (repeatable flags join with commas). */
export function httpFlagVariables(flags: Partial<Record<keyof typeof HTTP_FLAG_VARIABLES, string | string[]>>): Env {
  const variables: Env = {};
  for (const [key, name] of Object.entries(HTTP_FLAG_VARIABLES)) {
    const value = flags[key as keyof typeof HTTP_FLAG_VARIABLES];
    if (value !== undefined) variables[name] = Array.isArray(value) ? value.join(',') : value;
  }
  return variables;
}
