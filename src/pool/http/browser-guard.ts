/**
 * A pool without keys lets in whoever reaches its loopback port, and so does a web page open in a
 * browser on this machine: a cross-site POST whose body is text/plain or multipart needs no CORS
 * preflight, so the page can run code in any session without reading the answer, and a page whose
 * host name its attacker re-points at 127.0.0.1 (DNS rebinding) reads the answers too.
 *
 * API clients name the pool by a loopback address and send no Origin; a browser sends an Origin
 * with every cross-site POST, and the page's own host name in Host. A pool without keys therefore
 * refuses both. A pool with keys needs none of this: a page can neither know a key nor send one
 * cross-site without a preflight, which the pool never grants.
 */
import type { MiddlewareHandler } from 'hono';
import { isLoopback } from '../../config/network.js';
import type { Authenticator } from './auth.js';
import type { PoolEnv } from './context.js';
import { PoolApiError } from './errors.js';

const ADVICE = 'Clients of this pool name it by a loopback address (127.0.0.1, localhost, [::1]) and send no Origin header; to serve browsers or other host names, start the pool with an API key (--api-key).';

/** Host headers seen, and whether each names loopback: every request sends one, nearly always the same. */
const MAX_REMEMBERED_HOSTS = 64;

export function browserGuard(authenticator: Authenticator): MiddlewareHandler<PoolEnv> {
  const loopbackHosts = new Map<string, boolean>();
  const namesLoopback = (host: string): boolean => {
    let verdict = loopbackHosts.get(host);
    if (verdict === undefined) {
      verdict = isLoopback(hostName(host));
      // Any client chooses its Host header: the memory stays bounded whatever they send.
      if (loopbackHosts.size >= MAX_REMEMBERED_HOSTS) loopbackHosts.clear();
      loopbackHosts.set(host, verdict);
    }
    return verdict;
  };
  return async (c, next) => {
    if (authenticator.required) return next();
    if (c.req.header('origin') !== undefined) {
      throw new PoolApiError(403, 'Forbidden', `This pool has no API key, so it refuses requests from web pages (this one carries an Origin header). ${ADVICE}`, { target: 'origin' });
    }
    const host = c.req.header('host');
    if (host !== undefined && !namesLoopback(host)) {
      throw new PoolApiError(403, 'Forbidden', `This pool has no API key, so it answers only requests addressed to a loopback name, not to "${host.slice(0, 100)}". ${ADVICE}`, { target: 'host' });
    }
    await next();
  };
}

/** The name in a Host header without its port: `[::1]:8787` → `[::1]`, `localhost:8787` → `localhost`. */
function hostName(host: string): string {
  const trimmed = host.trim();
  if (trimmed.startsWith('[')) return trimmed.slice(0, trimmed.indexOf(']') + 1);
  const colon = trimmed.lastIndexOf(':');
  return colon === -1 ? trimmed : trimmed.slice(0, colon);
}
