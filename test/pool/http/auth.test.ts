/**
 * Authentication beyond one static key, in-process: a keys file that rotates without a restart,
 * and bearer JWTs checked against a local JWKS (file and loopback URL) — valid, expired, wrong
 * audience, wrong issuer, wrong signature, unknown key — each refusal saying why, no token logged.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { pino, type Logger } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../../src/pool/http/auth.js';
import { ConfigurationError } from '../../../src/errors.js';
import { createHarness, E, gen1Exec, V1, type Harness } from './app-harness.js';

const ISSUER = 'https://sts.windows.net/00000000-0000-0000-0000-000000000001/';
const AUDIENCE = 'https://dynamicsessions.io';

function capturingLogger(): { logger: Logger; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString('utf8');
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), text: () => text };
}

type SigningKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

async function keyPair(kid: string): Promise<{ privateKey: SigningKey; jwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  return { privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

function token(key: { privateKey: SigningKey; kid: string }, claims: { aud?: string; iss?: string; expiresIn?: number | null; alg?: string } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  let jwt = new SignJWT({ oid: 'caller', tid: 'tenant' })
    .setProtectedHeader({ alg: claims.alg ?? 'RS256', kid: key.kid, typ: 'JWT' })
    .setIssuedAt(now - 60)
    .setIssuer(claims.iss ?? ISSUER)
    .setAudience(claims.aud ?? AUDIENCE);
  if (claims.expiresIn !== null) jwt = jwt.setExpirationTime(now + (claims.expiresIn ?? 3600));
  return jwt.sign(key.privateKey);
}

async function status(pool: Harness, authorization?: string): Promise<{ status: number; message: string; challenge: string | null }> {
  const response = await pool.json(`${E}/code/execute?identifier=auth-jwt&${V1}`, gen1Exec('6 * 7'), authorization ? { headers: { authorization } } : {});
  const body = (await response.json()) as { error?: { message: string } };
  return { status: response.status, message: body.error?.message ?? '', challenge: response.headers.get('www-authenticate') };
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tidepool-auth-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('API keys file', () => {
  it('accepts the keys in the file, follows a replaced file, and refuses everything when it disappears', async () => {
    const file = path.join(dir, 'keys.txt');
    await writeFile(file, '# rotation 1\nkey-a\n\n  key-b  \n');
    const { logger, text } = capturingLogger();
    const authenticator = await createAuthenticator({ apiKeys: ['static-key'], auth: { mode: 'key', apiKeysFile: file, jwt: undefined }, logger, fileIntervalMs: 0 });
    const pool = await createHarness({ authenticator });
    try {
      expect((await status(pool, 'Bearer key-a')).status).toBe(200);
      expect((await status(pool, 'Bearer key-b')).status).toBe(200);
      expect((await status(pool, 'Bearer static-key')).status).toBe(200);
      expect((await status(pool, 'Bearer # rotation 1')).status).toBe(401);
      const replaced = path.join(dir, 'keys.next');
      await writeFile(replaced, 'key-c\n');
      await rename(replaced, file);
      expect((await status(pool, 'Bearer key-a')).status).toBe(401);
      expect((await status(pool, 'Bearer key-c')).status).toBe(200);
      await rm(file);
      const gone = await status(pool, 'Bearer key-c');
      expect(gone.status).toBe(401);
      expect(gone.message).toContain('--api-keys-file');
      // The file's keys are gone, but the pool is not open: a request without a key is still refused.
      expect((await status(pool)).status).toBe(401);
      expect((await status(pool, 'Bearer static-key')).status).toBe(200);
      await writeFile(file, 'key-d\n');
      expect((await status(pool, 'Bearer key-d')).status).toBe(200);
      expect(text()).toContain('API keys file changed');
      expect(text()).toContain('API keys file unreadable');
      for (const key of ['key-a', 'key-b', 'key-c', 'key-d', 'static-key']) expect(text()).not.toContain(key);
    } finally {
      await pool.close();
    }
  });

  it('refuses to start with a missing or empty keys file, naming the setting', async () => {
    const logger = pino({ level: 'silent' });
    for (const [file, content] of [
      [path.join(dir, 'absent.txt'), undefined],
      [path.join(dir, 'empty.txt'), '# no keys yet\n\n'],
    ] as const) {
      if (content !== undefined) await writeFile(file, content);
      const error = await createAuthenticator({ apiKeys: [], auth: { mode: 'key', apiKeysFile: file, jwt: undefined }, logger }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as ConfigurationError).code).toBe('configuration');
      expect((error as Error).message).toContain('--api-keys-file');
    }
  });
});

describe('bearer JWTs against a JWKS file', () => {
  let pool: Harness;
  let logText: () => string;
  let signer: { privateKey: SigningKey; kid: string };
  let stranger: { privateKey: SigningKey; kid: string };
  const jwksFile = () => path.join(dir, 'jwks.json');
  const issued: string[] = [];
  const issue = async (...args: Parameters<typeof token>) => {
    const jwt = await token(...args);
    issued.push(jwt);
    return `Bearer ${jwt}`;
  };

  beforeAll(async () => {
    const mine = await keyPair('k1');
    const other = await keyPair('k1');
    signer = { privateKey: mine.privateKey, kid: 'k1' };
    // Same kid, different key: what a forged token would carry.
    stranger = { privateKey: other.privateKey, kid: 'k1' };
    await writeFile(jwksFile(), JSON.stringify({ keys: [mine.jwk] }));
    const captured = capturingLogger();
    logText = captured.text;
    const authenticator = await createAuthenticator({
      apiKeys: ['ops-key'],
      auth: { mode: 'jwt', apiKeysFile: undefined, jwt: { issuers: [ISSUER], audiences: ['https://dynamicsessions.io', 'https://acasessions.io'], jwks: { file: jwksFile() } } },
      logger: captured.logger,
      fileIntervalMs: 0,
    });
    pool = await createHarness({ authenticator, logger: captured.logger });
  });
  afterAll(async () => {
    await pool?.close();
  });

  it('accepts a valid token for either ACA audience, and the static key', async () => {
    expect((await status(pool, await issue(signer))).status).toBe(200);
    expect((await status(pool, await issue(signer, { aud: 'https://acasessions.io' }))).status).toBe(200);
    expect((await status(pool, 'Bearer ops-key')).status).toBe(200);
  });

  it.each([
    ['an expired token', { expiresIn: -7200 }, /expired at \d{4}-/],
    ['a token for another audience', { aud: 'https://management.azure.com' }, /audience \(aud\) is "https:\/\/management\.azure\.com"/],
    ['a token from another issuer', { iss: 'https://sts.windows.net/other-tenant/' }, /issuer \(iss\)/],
    ['a token without expiry', { expiresIn: null }, /no expiry/],
  ])('refuses %s with 401 and the reason', async (_name, claims, reason) => {
    const outcome = await status(pool, await issue(signer, claims));
    expect(outcome.status).toBe(401);
    expect(outcome.message).toMatch(reason);
    expect(outcome.challenge).toMatch(/^Bearer realm="tidepool-pool", error="invalid_token", error_description="/);
  });

  it('refuses a token with a bad signature, one signed by an unknown key, and a symmetric one', async () => {
    const forged = await status(pool, await issue(stranger));
    expect(forged).toMatchObject({ status: 401 });
    expect(forged.message).toContain('signature does not verify');
    const unknown = await keyPair('k9');
    const unknownKid = await status(pool, await issue({ privateKey: unknown.privateKey, kid: 'k9' }));
    expect(unknownKid.message).toContain('not in the pool');
    const hs256 = await new SignJWT({}).setProtectedHeader({ alg: 'HS256', kid: 'k1' }).setIssuer(ISSUER).setAudience(AUDIENCE).setExpirationTime('1h').sign(new TextEncoder().encode('x'.repeat(32)));
    issued.push(hs256);
    expect((await status(pool, `Bearer ${hs256}`)).message).toContain('algorithm');
  });

  it('refuses a missing token, and one that is neither a JWT nor a key, saying what to send', async () => {
    const missing = await status(pool);
    expect(missing.status).toBe(401);
    expect(missing.challenge).toBe('Bearer realm="tidepool-pool"');
    expect(missing.message).toContain('https://dynamicsessions.io');
    expect((await status(pool, 'Bearer not-a-key')).message).toContain('neither a JWT');
  });

  it('shows session counts on /healthz only to a valid token', async () => {
    expect(await (await pool.request('/healthz')).json()).toEqual({ status: 'ok' });
    const authorized = (await (await pool.request('/healthz', { headers: { authorization: await issue(signer) } })).json()) as { sessions?: unknown };
    expect(authorized.sessions).toBeDefined();
  });

  it('follows a rotated JWKS file', async () => {
    const next = await keyPair('k2');
    await writeFile(jwksFile(), JSON.stringify({ keys: [next.jwk] }));
    expect((await status(pool, await issue(signer))).status).toBe(401);
    expect((await status(pool, await issue({ privateKey: next.privateKey, kid: 'k2' }))).status).toBe(200);
  });

  it('never writes a token to the log', async () => {
    expect(issued.length).toBeGreaterThan(5);
    const text = logText();
    expect(text).toContain('"status":401');
    // The reason is logged, so an operator can tell an expired token from a forged one.
    expect(text).toContain('"authFailure":"expired"');
    expect(text).toContain('"authFailure":"bad_signature"');
    for (const jwt of issued) {
      expect(text).not.toContain(jwt);
      expect(text).not.toContain(jwt.split('.')[2]);
    }
  });
});

describe('bearer JWTs against a JWKS URL', () => {
  let jwksServer: Server;
  let jwksUrl: string;
  let signer: { privateKey: SigningKey; kid: string };

  beforeAll(async () => {
    const mine = await keyPair('remote-1');
    signer = { privateKey: mine.privateKey, kid: 'remote-1' };
    jwksServer = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ keys: [mine.jwk] }));
    });
    jwksServer.listen(0, '127.0.0.1');
    await once(jwksServer, 'listening');
    jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/discovery/v2.0/keys`;
  });
  afterAll(async () => {
    jwksServer?.close();
  });

  const jwtPool = async (url: string) =>
    createHarness({
      authenticator: await createAuthenticator({
        apiKeys: [],
        auth: { mode: 'jwt', apiKeysFile: undefined, jwt: { issuers: [ISSUER], audiences: [AUDIENCE], jwks: { url: new URL(url) } } },
        logger: pino({ level: 'silent' }),
      }),
    });

  it('fetches the keys and accepts a valid token', async () => {
    const pool = await jwtPool(jwksUrl);
    try {
      expect((await status(pool, `Bearer ${await token(signer)}`)).status).toBe(200);
      expect((await status(pool, `Bearer ${await token(signer, { aud: 'api://other' })}`)).status).toBe(401);
    } finally {
      await pool.close();
    }
  });

  it('answers 503 AuthenticationUnavailable with Retry-After when the keys cannot be fetched', async () => {
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as AddressInfo).port;
    closed.close();
    await once(closed, 'close');
    const pool = await jwtPool(`http://127.0.0.1:${port}/keys`);
    try {
      const response = await pool.json(`${E}/code/execute?identifier=auth-jwt&${V1}`, gen1Exec('1'), { headers: { authorization: `Bearer ${await token(signer)}` } });
      expect(response.status).toBe(503);
      expect(response.headers.get('x-ms-error-code')).toBe('AuthenticationUnavailable');
      expect(response.headers.get('retry-after')).toBe('5');
    } finally {
      await pool.close();
    }
  });
});
