/**
 * Who may reach the HTTP MCP server: without a key it binds to loopback only; with one, every request
 * must carry it as a bearer token (compared in constant time) and any address may be bound.
 */
import { timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { ConfigurationError } from '../errors.js';

export const MCP_KEY_ENV = 'TIDEPOOL_MCP_KEY';
const MIN_KEY_LENGTH = 16;

export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  const bare = host.replace(/^\[|\]$/g, '');
  if (isIP(bare) === 4) return bare.startsWith('127.');
  return bare === '::1';
}

/** Checks the bind address and key together, before anything listens. */
export function checkHttpAccess(host: string, key: string | undefined): void {
  if (key !== undefined && key.length < MIN_KEY_LENGTH) {
    throw new ConfigurationError(`${MCP_KEY_ENV} must be at least ${MIN_KEY_LENGTH} characters; generate one with \`openssl rand -hex 32\`.`);
  }
  if (key === undefined && !isLoopbackHost(host)) {
    throw new ConfigurationError(
      `Refusing to serve MCP on ${host} without a key: anyone who reaches it could run code in your sandboxes. ` +
        `Set ${MCP_KEY_ENV} (clients then send "Authorization: Bearer <key>"), or keep the default --host 127.0.0.1.`,
    );
  }
}

export function hasKey(authorization: string | undefined, key: string): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(authorization ?? '');
  if (!match) return false;
  const given = Buffer.from(match[1]!.trim());
  const expected = Buffer.from(key);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
