/**
 * Who may use the pool: static bearer keys (auth-keys.ts) and, with `--auth jwt`, bearer JWTs
 * from an identity provider (auth-jwt.ts), so a client that signs in with DefaultAzureCredential
 * works unchanged. A refused request gets 401 with the reason in the error body and in
 * WWW-Authenticate; the token itself is never logged or repeated.
 */
import type { MiddlewareHandler } from 'hono';
import type { Logger } from 'pino';
import type { PoolEnv } from './context.js';
import { PoolApiError } from './errors.js';
import type { PoolAuthSettings } from './http-settings.js';
import { KeyChecker } from './auth-keys.js';
import { JwtVerifier } from './auth-jwt.js';

export type AuthOutcome = { ok: true } | { ok: false; status: 401 | 503; reason: string; message: string };

export interface Authenticator {
  /** False only for a pool with neither keys nor JWTs (loopback only): then every request is let in. */
  readonly required: boolean;
  check(authorization: string | undefined): Promise<AuthOutcome>;
}

export interface AuthenticatorOptions {
  apiKeys: string[];
  auth?: PoolAuthSettings;
  logger: Logger;
  /** How often a keys file or JWKS file may be read again; default 1000 ms. */
  fileIntervalMs?: number;
}

const BEARER = /^Bearer\s+(.+)$/i;
/** Three base64url parts: worth checking as a JWT. */
const JWT_SHAPE = /^[\w-]+\.[\w-]+\.[\w-]*$/;

export async function createAuthenticator(options: AuthenticatorOptions): Promise<Authenticator> {
  const auth = options.auth ?? { mode: 'key', apiKeysFile: undefined, jwt: undefined };
  const keys = await KeyChecker.create({ keys: options.apiKeys, keysFile: auth.apiKeysFile, logger: options.logger, keysFileIntervalMs: options.fileIntervalMs });
  const jwt = auth.mode === 'jwt' && auth.jwt ? await JwtVerifier.create(auth.jwt, options.logger, { jwksFileIntervalMs: options.fileIntervalMs }) : undefined;
  return bearerAuthenticator(keys, jwt);
}

/** Static keys only, known at start: what the in-process app uses when it is given just a list. */
export function keyAuthenticator(apiKeys: string[]): Authenticator {
  return bearerAuthenticator(KeyChecker.fromKeys(apiKeys), undefined);
}

function bearerAuthenticator(keys: KeyChecker, jwt: JwtVerifier | undefined): Authenticator {
  const required = keys.configured || jwt !== undefined;
  const missing = jwt
    ? 'Missing bearer token: send "Authorization: Bearer <token>" with an access token for https://dynamicsessions.io from the identity provider this pool trusts (e.g. from DefaultAzureCredential), or one of its API keys.'
    : 'Missing bearer token: send "Authorization: Bearer <key>" with one of the keys the pool was started with (--api-key, TIDEPOOL_POOL_API_KEYS or --api-keys-file).';
  return {
    required,
    async check(header) {
      if (!required) return { ok: true };
      const token = header ? BEARER.exec(header.trim())?.[1]?.trim() : undefined;
      if (!token) return { ok: false, status: 401, reason: 'missing', message: missing };
      if (keys.configured && (await keys.matches(token))) return { ok: true };
      if (jwt && JWT_SHAPE.test(token)) return jwt.verify(token);
      if (jwt) return { ok: false, status: 401, reason: 'malformed', message: "The bearer token is neither a JWT nor one of this pool's API keys; send an access token for https://dynamicsessions.io from the identity provider this pool trusts." };
      return { ok: false, status: 401, reason: 'wrong_key', message: "The bearer token is not one of this pool's API keys; check the key passed with --api-key, TIDEPOOL_POOL_API_KEYS or the --api-keys-file." };
    },
  };
}

/** Quoted-string safe text for WWW-Authenticate's error_description. */
function headerText(message: string): string {
  return message.replace(/[^\x20-\x7e]/g, ' ').replace(/["\\]/g, "'");
}

export function bearerAuth(authenticator: Authenticator): MiddlewareHandler<PoolEnv> {
  return async (c, next) => {
    const outcome = await authenticator.check(c.req.header('authorization'));
    if (outcome.ok) return next();
    c.set('authFailure', outcome.reason);
    if (outcome.status === 503) {
      throw new PoolApiError(503, 'AuthenticationUnavailable', outcome.message, { headers: { 'Retry-After': '5' } });
    }
    // RFC 6750: no error attribute when the request carried no credentials at all.
    const challenge = outcome.reason === 'missing' ? 'Bearer realm="tidepool-pool"' : `Bearer realm="tidepool-pool", error="invalid_token", error_description="${headerText(outcome.message)}"`;
    throw new PoolApiError(401, 'Unauthorized', outcome.message, { target: 'Authorization', headers: { 'WWW-Authenticate': challenge } });
  };
}
