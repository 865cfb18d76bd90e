/**
 * Each browser gets a random owner id in an HttpOnly cookie; conversations are listed and opened
 * only for their owner, so one person never sees (or guesses their way into) another's sessions.
 */
import { randomUUID } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import type { WebEnv } from './deps.js';

export const OWNER_COOKIE = 'tidepool_owner';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function ownerCookie(): MiddlewareHandler<WebEnv> {
  return async (c, next) => {
    let ownerId = getCookie(c, OWNER_COOKIE);
    if (!ownerId || !UUID.test(ownerId)) {
      ownerId = randomUUID();
      setCookie(c, OWNER_COOKIE, ownerId, { httpOnly: true, sameSite: 'Lax', path: '/', maxAge: 60 * 60 * 24 * 365 });
    }
    c.set('ownerId', ownerId);
    await next();
  };
}

export function isUuid(value: string): boolean {
  return UUID.test(value);
}
