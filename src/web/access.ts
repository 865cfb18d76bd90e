/**
 * Who may use the web server. Code in a sandbox session with network egress, a web page that
 * rebinds its DNS name to 127.0.0.1, or another user of this machine can all reach a loopback
 * port, so loopback alone proves nothing. Every request must therefore (1) be addressed to this
 * server by name (the Host header), and (2) carry the per-start access token, either as the
 * cookie a browser gets by opening the printed `/?token=…` URL, or as `Authorization: Bearer`.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import os from 'node:os';
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import type { Env } from '../config/settings.js';
import { ConfigurationError } from '../errors.js';
import type { WebEnv } from './deps.js';
import { httpError, renderError } from './http-errors.js';
import { renderOpenAiError } from './routes/openai-compat.js';
import { LOGIN_PAGE, PUBLIC_PATHS, readStaticFile } from './static.js';

export const TOKEN_ENV = 'TIDEPOOL_WEB_TOKEN';
/** 24 random bytes: 192 bits, 32 URL-safe characters. */
const TOKEN_BYTES = 24;
/** URL-safe and cookie-safe without escaping, and long enough not to be guessed. */
const TOKEN_PATTERN = /^[A-Za-z0-9._~-]{16,512}$/;

export interface WebAccess {
  token: string;
  /** Per port, so two servers on one machine (cookies ignore ports) keep their own. */
  cookieName: string;
  /** Host header names (lowercase, no port; IPv6 in brackets) this server answers to. */
  allowedHosts: ReadonlySet<string>;
}

/** The token from the option, else TIDEPOOL_WEB_TOKEN, else a fresh random one. */
export function resolveAccessToken(option: string | undefined, env: Env): string {
  const given = option?.trim() || env[TOKEN_ENV]?.trim();
  if (!given) return randomBytes(TOKEN_BYTES).toString('base64url');
  if (!TOKEN_PATTERN.test(given)) {
    throw new ConfigurationError(`${TOKEN_ENV} (or --token) must be 16 or more characters from A-Z, a-z, 0-9 and "-_.~"; unset it to get a random token at each start.`);
  }
  return given;
}

export function accessCookieName(port: number): string {
  return `tidepool_token_${port}`;
}

/**
 * The bound host, plus localhost and the loopback addresses. Bound to every interface (0.0.0.0
 * or ::), the machine's own name and addresses are added, since those are what remote browsers use.
 */
export function allowedHostNames(boundHost: string): Set<string> {
  const names = new Set(['localhost', '127.0.0.1', '[::1]', hostName(boundHost)]);
  if (['0.0.0.0', '::', '[::]'].includes(boundHost)) {
    names.add(os.hostname().toLowerCase());
    for (const addresses of Object.values(os.networkInterfaces())) {
      for (const address of addresses ?? []) names.add(hostName(address.address.split('%')[0]!));
    }
  }
  return names;
}

function hostName(host: string): string {
  const lower = host.toLowerCase();
  return lower.includes(':') && !lower.startsWith('[') ? `[${lower}]` : lower;
}

/** The host part of a Host header, or undefined when there is none or it does not parse. */
function requestHostName(header: string | undefined): string | undefined {
  if (!header) return undefined;
  try {
    return new URL(`http://${header}`).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

/** Constant-time comparison; hashing first makes the lengths equal without revealing them. */
export function tokensMatch(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

function bearerToken(header: string | undefined): string | undefined {
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return match?.[1];
}

export function accessGuard(access: WebAccess): MiddlewareHandler<WebEnv> {
  return async (c, next) => {
    const host = requestHostName(c.req.header('host'));
    if (!host || !access.allowedHosts.has(host)) {
      const names = [...access.allowedHosts].join(', ');
      return deny(c, httpError(403, `This server answers only requests addressed to ${names}, not to "${c.req.header('host') ?? ''}" (a guard against DNS rebinding). Open the URL tidepool serve printed.`, 'forbidden_host'));
    }
    if (PUBLIC_PATHS.has(c.req.path)) return next();

    const queryToken = c.req.method === 'GET' || c.req.method === 'HEAD' ? c.req.query('token') : undefined;
    if (queryToken !== undefined) {
      if (!tokensMatch(queryToken, access.token)) return unauthorized(c, 'The token in this URL is not this server\'s (it changes at each start unless TIDEPOOL_WEB_TOKEN or --token fixes it).');
      // Trade the token for a cookie, and take it out of the address bar and the history.
      setCookie(c, access.cookieName, access.token, { httpOnly: true, sameSite: 'Strict', path: '/' });
      const url = new URL(c.req.url);
      url.searchParams.delete('token');
      return c.redirect(`${url.pathname}${url.search}`, 302);
    }

    const authorization = c.req.header('authorization');
    if (authorization !== undefined) {
      const bearer = bearerToken(authorization);
      if (bearer !== undefined && tokensMatch(bearer, access.token)) return next();
      return unauthorized(c, 'The Authorization header does not carry this server\'s token.');
    }
    const cookie = getCookie(c, access.cookieName);
    if (cookie !== undefined && tokensMatch(cookie, access.token)) return next();
    return unauthorized(c, cookie === undefined ? 'This server needs its access token.' : 'The access cookie does not carry this server\'s token (the token changes at each start unless TIDEPOOL_WEB_TOKEN or --token fixes it).');
  };
}

async function unauthorized(c: Context<WebEnv>, why: string): Promise<Response> {
  c.header('www-authenticate', 'Bearer realm="tidepool"');
  c.header('cache-control', 'no-store');
  if (c.req.method === 'GET' && (c.req.header('accept') ?? '').includes('text/html')) {
    return c.body(new Uint8Array(await readStaticFile(LOGIN_PAGE.file)), 401, { 'content-type': LOGIN_PAGE.type });
  }
  const origin = new URL(c.req.url).origin;
  return deny(c, httpError(401, `${why} Open the URL tidepool serve printed at start (${origin}/?token=…) in your browser, or send the header "Authorization: Bearer <token>".`, 'unauthorized'));
}

function deny(c: Context<WebEnv>, error: ReturnType<typeof httpError>): Response {
  return c.req.path.startsWith('/v1/') ? renderOpenAiError(error, c) : renderError(error, c);
}
