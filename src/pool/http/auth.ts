/**
 * Bearer-key authentication. Keys are compared as SHA-256 digests with timingSafeEqual, against
 * every configured key, so neither the length nor the position of a mismatch leaks through timing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { PoolEnv } from './context.js';
import { PoolApiError } from './errors.js';

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

export type BearerCheck = 'ok' | 'missing' | 'wrong';

/** Checks an Authorization header against the keys; with no keys configured every request is 'ok'. */
export function bearerChecker(apiKeys: string[]): (header: string | undefined) => BearerCheck {
  const digests = apiKeys.map(digest);
  return (header) => {
    if (digests.length === 0) return 'ok';
    const match = header ? /^Bearer\s+(.+)$/i.exec(header.trim()) : null;
    if (!match) return 'missing';
    const offered = digest(match[1]!.trim());
    let ok = false;
    for (const key of digests) ok = timingSafeEqual(offered, key) || ok;
    return ok ? 'ok' : 'wrong';
  };
}

export function bearerAuth(apiKeys: string[]): MiddlewareHandler<PoolEnv> {
  const check = bearerChecker(apiKeys);
  const unauthorized = (message: string) =>
    new PoolApiError(401, 'Unauthorized', message, { headers: { 'WWW-Authenticate': 'Bearer realm="tidepool-pool"' } });
  return async (c, next) => {
    const result = check(c.req.header('authorization'));
    if (result === 'missing') throw unauthorized('Missing bearer token: send "Authorization: Bearer <key>" with one of the keys the pool was started with (--api-key or TIDEPOOL_POOL_API_KEYS).');
    if (result === 'wrong') throw unauthorized('The bearer token is not one of this pool\'s API keys; check the key passed with --api-key or TIDEPOOL_POOL_API_KEYS.');
    return next();
  };
}
