/**
 * Settings of the pool's HTTP edge: how clients authenticate, whether it speaks TLS, and two
 * compatibility switches (the legacy python/* routes, string execution results). Each resolves
 * option → TIDEPOOL_POOL_* variable → default, and a bad value names its variable and flag.
 * Nothing here reads a file: the keys file, JWKS and certificates are opened when the server starts.
 */
import { isLoopback } from '../../config/network.js';
import { PoolError } from '../types.js';

type Env = Record<string, string | undefined>;

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

function invalid(key: string, envName: string, flag: string, message: string): PoolError {
  return new PoolError('invalid_input', `${envName} / ${flag} / option ${key}: ${message}`);
}

function text(option: string | undefined, env: Env, name: string): string | undefined {
  return option?.trim() || env[name]?.trim() || undefined;
}

function list(option: string[] | undefined, env: Env, name: string): string[] | undefined {
  const raw = option ?? env[name]?.split(',');
  const values = raw?.map((value) => value.trim()).filter(Boolean);
  return values && values.length > 0 ? values : undefined;
}

function choice<T extends string>(option: T | undefined, env: Env, spec: { key: string; env: string; flag: string; values: readonly T[] }): T | undefined {
  const raw = option ?? (env[spec.env]?.trim() || undefined);
  if (raw === undefined) return undefined;
  const value = String(raw).trim().toLowerCase() as T;
  if (!spec.values.includes(value)) throw invalid(spec.key, spec.env, spec.flag, `must be one of ${spec.values.join(', ')}, got "${String(raw)}".`);
  return value;
}

function resolveLegacyApi(option: boolean | undefined, env: Env): boolean {
  if (option !== undefined) return option;
  const raw = env.TIDEPOOL_POOL_LEGACY_API?.trim().toLowerCase();
  if (!raw) return true;
  if (['on', 'true', '1', 'yes'].includes(raw)) return true;
  if (['off', 'false', '0', 'no'].includes(raw)) return false;
  throw invalid('legacyApi', 'TIDEPOOL_POOL_LEGACY_API', '--legacy-api', `must be on or off, got "${env.TIDEPOOL_POOL_LEGACY_API}".`);
}

function resolveJwks(raw: string): JwtSettings['jwks'] {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) return { file: raw };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid('jwtJwks', 'TIDEPOOL_POOL_JWT_JWKS', '--jwt-jwks', `"${raw}" is not a valid URL.`);
  }
  // Signing keys decide who gets in: fetched in clear text anyone on the path could swap them.
  const plainLoopback = url.protocol === 'http:' && isLoopback(url.hostname);
  if (url.protocol !== 'https:' && !plainLoopback) {
    throw invalid('jwtJwks', 'TIDEPOOL_POOL_JWT_JWKS', '--jwt-jwks', `must be an https:// URL (http:// only on loopback) or a file path, got "${raw}".`);
  }
  return { url };
}

function resolveAuth(options: PoolHttpOptions, env: Env): PoolAuthSettings {
  const mode = choice(options.auth, env, { key: 'auth', env: 'TIDEPOOL_POOL_AUTH', flag: '--auth', values: ['key', 'jwt'] as const }) ?? 'key';
  const apiKeysFile = text(options.apiKeysFile, env, 'TIDEPOOL_POOL_API_KEYS_FILE');
  const issuers = list(options.jwtIssuers, env, 'TIDEPOOL_POOL_JWT_ISSUER');
  const audiences = list(options.jwtAudiences, env, 'TIDEPOOL_POOL_JWT_AUDIENCE');
  const jwks = text(options.jwtJwks, env, 'TIDEPOOL_POOL_JWT_JWKS');
  if (mode === 'key') {
    const stray = issuers ? '--jwt-issuer' : audiences ? '--jwt-audience' : jwks ? '--jwt-jwks' : undefined;
    if (stray) throw invalid('auth', 'TIDEPOOL_POOL_AUTH', '--auth', `${stray} is set but the pool checks static keys; pass --auth jwt (or set TIDEPOOL_POOL_AUTH=jwt) to accept JWTs.`);
    return { mode, apiKeysFile, jwt: undefined };
  }
  if (!issuers) {
    throw invalid('jwtIssuers', 'TIDEPOOL_POOL_JWT_ISSUER', '--jwt-issuer', 'is required with --auth jwt: name the token issuer of your tenant, e.g. https://sts.windows.net/<tenant-id>/ (v1 tokens) or https://login.microsoftonline.com/<tenant-id>/v2.0.');
  }
  if (!jwks) {
    throw invalid('jwtJwks', 'TIDEPOOL_POOL_JWT_JWKS', '--jwt-jwks', 'is required with --auth jwt: a JWKS URL such as https://login.microsoftonline.com/<tenant-id>/discovery/v2.0/keys, or a JWKS file.');
  }
  return { mode, apiKeysFile, jwt: { issuers, audiences: audiences ?? [...DEFAULT_JWT_AUDIENCES], jwks: resolveJwks(jwks) } };
}

function resolveTls(options: PoolHttpOptions, env: Env): PoolTlsSettings {
  const spec = { key: 'tls', env: 'TIDEPOOL_POOL_TLS', flag: '--tls', values: ['off', 'self-signed'] as const };
  // Options win over the environment as a whole, so a caller that passes tls: 'off' is never switched to https by a variable.
  const fromOptions = options.tls !== undefined || options.tlsCertFile !== undefined || options.tlsKeyFile !== undefined;
  const mode = fromOptions ? choice(options.tls, {}, spec) : choice(undefined, env, spec);
  const certFile = fromOptions ? options.tlsCertFile?.trim() || undefined : text(undefined, env, 'TIDEPOOL_POOL_TLS_CERT');
  const keyFile = fromOptions ? options.tlsKeyFile?.trim() || undefined : text(undefined, env, 'TIDEPOOL_POOL_TLS_KEY');
  if (mode === 'off') return { mode };
  if (mode === 'self-signed') {
    if (certFile || keyFile) throw invalid('tls', 'TIDEPOOL_POOL_TLS', '--tls', 'self-signed makes its own certificate: pass either --tls self-signed or --tls-cert with --tls-key, not both.');
    return { mode };
  }
  if (!certFile && !keyFile) return { mode: 'off' };
  if (!certFile) throw invalid('tlsCertFile', 'TIDEPOOL_POOL_TLS_CERT', '--tls-cert', 'is needed with --tls-key: pass the PEM certificate (chain) that goes with the key.');
  if (!keyFile) throw invalid('tlsKeyFile', 'TIDEPOOL_POOL_TLS_KEY', '--tls-key', 'is needed with --tls-cert: pass the PEM private key of the certificate.');
  return { mode: 'files', certFile, keyFile };
}

export function resolveHttpSettings(options: PoolHttpOptions = {}, env: Env = process.env): PoolHttpSettings {
  return {
    auth: resolveAuth(options, env),
    tls: resolveTls(options, env),
    api: {
      legacyApi: resolveLegacyApi(options.legacyApi, env),
      executionResult:
        choice(options.executionResult, env, { key: 'executionResult', env: 'TIDEPOOL_POOL_EXECUTION_RESULT', flag: '--execution-result', values: ['typed', 'string'] as const }) ?? 'typed',
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
