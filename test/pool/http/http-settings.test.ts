/** Resolution of the HTTP edge's settings: defaults, option over variable, and errors that name the setting. */
import { describe, expect, it } from 'vitest';
import { httpFlagVariables, resolveHttpSettings } from '../../../src/pool/http/http-settings.js';
import { resolvePoolServerSettings } from '../../../src/pool/settings.js';
import { ConfigurationError } from '../../../src/errors.js';

const JWT_ENV = { TIDEPOOL_POOL_AUTH: 'jwt', TIDEPOOL_POOL_JWT_ISSUER: 'https://sts.windows.net/t/', TIDEPOOL_POOL_JWT_JWKS: '/etc/tidepool/jwks.json' };

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).code).toBe('configuration');
    return (error as Error).message;
  }
  throw new Error('expected a refusal');
}

describe('resolveHttpSettings', () => {
  it('defaults to static keys, plain HTTP, the legacy routes on and typed results', () => {
    expect(resolveHttpSettings({}, {})).toEqual({
      auth: { mode: 'key', apiKeysFile: undefined, jwt: undefined },
      tls: { mode: 'off' },
      api: { legacyApi: true, executionResult: 'typed' },
    });
  });

  it('reads every variable', () => {
    const settings = resolveHttpSettings({}, {
      ...JWT_ENV,
      TIDEPOOL_POOL_JWT_AUDIENCE: 'api://a, api://b',
      TIDEPOOL_POOL_API_KEYS_FILE: '/run/keys',
      TIDEPOOL_POOL_TLS_CERT: '/c.pem',
      TIDEPOOL_POOL_TLS_KEY: '/k.pem',
      TIDEPOOL_POOL_LEGACY_API: 'off',
      TIDEPOOL_POOL_EXECUTION_RESULT: 'String',
    });
    expect(settings).toEqual({
      auth: { mode: 'jwt', apiKeysFile: '/run/keys', jwt: { issuers: ['https://sts.windows.net/t/'], audiences: ['api://a', 'api://b'], jwks: { file: '/etc/tidepool/jwks.json' } } },
      tls: { mode: 'files', certFile: '/c.pem', keyFile: '/k.pem' },
      api: { legacyApi: false, executionResult: 'string' },
    });
  });

  it('accepts both ACA audiences by default and a JWKS URL over https (http only on loopback)', () => {
    const jwt = resolveHttpSettings({ auth: 'jwt', jwtIssuers: ['https://login.microsoftonline.com/t/v2.0'], jwtJwks: 'https://login.microsoftonline.com/t/discovery/v2.0/keys' }, {}).auth.jwt!;
    expect(jwt.audiences).toEqual(['https://dynamicsessions.io', 'https://acasessions.io']);
    expect('url' in jwt.jwks && jwt.jwks.url.href).toBe('https://login.microsoftonline.com/t/discovery/v2.0/keys');
    expect(resolveHttpSettings({ auth: 'jwt', jwtIssuers: ['i'], jwtJwks: 'http://127.0.0.1:9/keys' }, {}).auth.jwt!.jwks).toHaveProperty('url');
    expect(refusal(() => resolveHttpSettings({ auth: 'jwt', jwtIssuers: ['i'], jwtJwks: 'http://idp.example/keys' }, {}))).toMatch(/--jwt-jwks.*https:\/\//);
  });

  it.each([
    [{ TIDEPOOL_POOL_AUTH: 'oauth' }, /TIDEPOOL_POOL_AUTH \/ --auth .*key, jwt/],
    [{ TIDEPOOL_POOL_AUTH: 'jwt', TIDEPOOL_POOL_JWT_JWKS: '/j.json' }, /--jwt-issuer.*required/],
    [{ TIDEPOOL_POOL_AUTH: 'jwt', TIDEPOOL_POOL_JWT_ISSUER: 'i' }, /--jwt-jwks.*required/],
    [{ TIDEPOOL_POOL_JWT_ISSUER: 'i' }, /--jwt-issuer is set but.*--auth jwt/],
    [{ TIDEPOOL_POOL_TLS: 'on' }, /TIDEPOOL_POOL_TLS \/ --tls .*off, self-signed/],
    [{ TIDEPOOL_POOL_TLS_CERT: '/c.pem' }, /--tls-key/],
    [{ TIDEPOOL_POOL_TLS_KEY: '/k.pem' }, /--tls-cert/],
    [{ TIDEPOOL_POOL_TLS: 'self-signed', TIDEPOOL_POOL_TLS_CERT: '/c.pem' }, /not both/],
    [{ TIDEPOOL_POOL_LEGACY_API: 'maybe' }, /TIDEPOOL_POOL_LEGACY_API \/ --legacy-api.*on or off/],
    [{ TIDEPOOL_POOL_EXECUTION_RESULT: 'json' }, /--execution-result.*typed, string/],
  ])('refuses %j, naming the variable and the flag', (env, message) => {
    expect(refusal(() => resolveHttpSettings({}, env))).toMatch(message);
  });

  it('lets TLS options replace the TLS variables as a whole, so tls: off is never overridden', () => {
    const env = { TIDEPOOL_POOL_TLS: 'self-signed' };
    expect(resolveHttpSettings({ tls: 'off' }, env).tls).toEqual({ mode: 'off' });
    expect(resolveHttpSettings({ tlsCertFile: '/c', tlsKeyFile: '/k' }, env).tls).toEqual({ mode: 'files', certFile: '/c', keyFile: '/k' });
    expect(resolveHttpSettings({}, env).tls).toEqual({ mode: 'self-signed' });
  });

  it('turns given flags into their variables, repeated ones joined', () => {
    expect(httpFlagVariables({ tls: 'self-signed', jwtIssuer: ['a', 'b'], legacyApi: 'off' })).toEqual({
      TIDEPOOL_POOL_TLS: 'self-signed',
      TIDEPOOL_POOL_JWT_ISSUER: 'a,b',
      TIDEPOOL_POOL_LEGACY_API: 'off',
    });
  });
});

describe('resolvePoolServerSettings with other ways to authenticate', () => {
  it('lets a keys file or JWTs stand in for --api-key beyond loopback and for egress', () => {
    expect(resolvePoolServerSettings({ host: '0.0.0.0', egress: true }, { TIDEPOOL_POOL_API_KEYS_FILE: '/run/keys' }).http.auth.apiKeysFile).toBe('/run/keys');
    expect(resolvePoolServerSettings({ host: '0.0.0.0', egress: true }, JWT_ENV).http.auth.mode).toBe('jwt');
    expect(refusal(() => resolvePoolServerSettings({ host: '0.0.0.0' }, {}))).toContain('--api-keys-file');
  });
});
