/**
 * Bearer JWTs as Entra ID issues them for Azure's session pools: signature checked against a
 * JWKS (fetched from a URL and cached, or read from a file that is read again when it changes),
 * issuer, audience, expiry and not-before, with a minute of clock skew. Only asymmetric
 * algorithms are accepted, so a key set can never be used as a shared secret. A refusal says why
 * (expired, wrong audience, bad signature…) without repeating the token; nothing here logs it.
 */
import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, errors, jwtVerify, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import type { Logger } from 'pino';
import { ConfigurationError } from '../../errors.js';
import type { JwtSettings } from './http-settings.js';
import { WatchedFile } from './watched-file.js';

export type JwtOutcome = { ok: true } | { ok: false; status: 401 | 503; reason: string; message: string };

const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
/** Entra ID and most providers allow five minutes; one is enough for machines that keep time. */
const CLOCK_TOLERANCE_SECONDS = 60;
const JWKS_TIMEOUT_MS = 5000;
/** A kid the set does not know makes jose fetch again, at most this often. */
const JWKS_COOLDOWN_MS = 30_000;
const JWKS_CACHE_MAX_AGE_MS = 10 * 60_000;

const refused = (reason: string, message: string): JwtOutcome => ({ ok: false, status: 401, reason, message });

export class JwtVerifier {
  #keys: JWTVerifyGetKey | undefined;
  #file: WatchedFile | undefined;

  private constructor(
    private readonly settings: JwtSettings,
    keys: JWTVerifyGetKey | undefined,
  ) {
    this.#keys = keys;
  }

  /** A JWKS file must be readable and valid at start; a JWKS URL is fetched on the first token. */
  static async create(settings: JwtSettings, logger: Logger, options: { jwksFileIntervalMs?: number } = {}): Promise<JwtVerifier> {
    if ('url' in settings.jwks) {
      return new JwtVerifier(settings, createRemoteJWKSet(settings.jwks.url, { timeoutDuration: JWKS_TIMEOUT_MS, cooldownDuration: JWKS_COOLDOWN_MS, cacheMaxAge: JWKS_CACHE_MAX_AGE_MS }));
    }
    const path = settings.jwks.file;
    const verifier = new JwtVerifier(settings, undefined);
    const file = new WatchedFile(path, {
      intervalMs: options.jwksFileIntervalMs,
      onChange: (text, error) => {
        try {
          if (text === undefined) throw error ?? new Error('unreadable');
          verifier.#keys = localKeySet(text);
          logger.info({ jwksFile: path }, 'JWKS file changed: signing keys reloaded');
        } catch (caught) {
          verifier.#keys = undefined;
          logger.warn({ jwksFile: path, reason: (caught as Error).message }, 'JWKS file unusable: no token is accepted until it is fixed');
        }
      },
    });
    try {
      verifier.#keys = localKeySet(await file.load());
    } catch (error) {
      throw new ConfigurationError(`TIDEPOOL_POOL_JWT_JWKS / --jwt-jwks: cannot use ${path} as a key set (${(error as Error).message}); give a JWKS file ({"keys":[…]}) or an https:// URL.`, { cause: error });
    }
    verifier.#file = file;
    return verifier;
  }

  async verify(token: string): Promise<JwtOutcome> {
    await this.#file?.current();
    const keys = this.#keys;
    if (!keys) return { ok: false, status: 503, reason: 'keys_unavailable', message: "The pool's signing key set (--jwt-jwks) cannot be read right now, so no token can be checked; the operator must fix the JWKS file." };
    try {
      await jwtVerify(token, keys, {
        issuer: this.settings.issuers,
        audience: this.settings.audiences,
        algorithms: ALGORITHMS,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ['exp'],
      });
      return { ok: true };
    } catch (error) {
      return this.#explain(error, token);
    }
  }

  #explain(error: unknown, token: string): JwtOutcome {
    const claims = safeClaims(token);
    if (error instanceof errors.JWTExpired) {
      const at = typeof claims.exp === 'number' ? ` at ${new Date(claims.exp * 1000).toISOString()}` : '';
      return refused('expired', `The bearer token expired${at}; get a new one from the identity provider (token caches renew it a few minutes before expiry).`);
    }
    if (error instanceof errors.JWTClaimValidationFailed) {
      if (error.claim === 'aud') {
        return refused('wrong_audience', `The bearer token's audience (aud) is ${describe(claims.aud)}, not one this pool accepts (${this.settings.audiences.join(', ')}); request the token for https://dynamicsessions.io/.default.`);
      }
      if (error.claim === 'iss') {
        return refused('wrong_issuer', `The bearer token's issuer (iss) is ${describe(claims.iss)}, not one this pool accepts (${this.settings.issuers.join(', ')}); sign in to the tenant the pool trusts.`);
      }
      if (error.claim === 'nbf') return refused('not_yet_valid', 'The bearer token is not valid yet (nbf is in the future); check the clock of the machine that asked for it.');
      if (error.claim === 'exp' && error.reason === 'missing') return refused('no_expiry', 'The bearer token has no expiry (exp); this pool accepts only tokens that expire.');
      return refused('invalid_claims', `The bearer token's "${error.claim}" claim is invalid (${error.reason}).`);
    }
    if (error instanceof errors.JWSSignatureVerificationFailed) {
      return refused('bad_signature', "The bearer token's signature does not verify against the pool's signing keys (--jwt-jwks); it was altered or signed by another issuer.");
    }
    if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
      return refused('unknown_key', "The bearer token was signed with a key that is not in the pool's signing key set (--jwt-jwks); it comes from another issuer, or the key set is out of date.");
    }
    if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) {
      return refused('algorithm', `The bearer token's signing algorithm is not accepted; this pool accepts ${ALGORITHMS.join(', ')}.`);
    }
    if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid || !(error instanceof errors.JOSEError)) {
      return { ok: false, status: 503, reason: 'keys_unavailable', message: "The pool could not load its signing keys from its JWKS URL (--jwt-jwks) to check the token; send the request again shortly, and if it persists the operator must check the pool's network access to that URL." };
    }
    return refused('malformed', 'The bearer token is not a valid signed JWT; send an access token for https://dynamicsessions.io from the pool\'s identity provider.');
  }
}

function localKeySet(text: string): JWTVerifyGetKey {
  const parsed = JSON.parse(text) as JSONWebKeySet;
  if (!parsed || !Array.isArray(parsed.keys)) throw new Error('no "keys" array');
  return createLocalJWKSet(parsed);
}

/** The token's claims for a message, or nothing when it does not even decode. */
function safeClaims(token: string): Record<string, unknown> {
  try {
    return decodeJwt(token);
  } catch {
    return {};
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  const text = JSON.stringify(value);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
