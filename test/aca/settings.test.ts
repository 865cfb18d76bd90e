import { describe, expect, it } from 'vitest';
import { createAcaSandbox } from '../../src/sandbox/backends/aca/aca-sandbox.js';
import { AcaClient } from '../../src/sandbox/backends/aca/aca-client.js';
import { resolveAcaConnection } from '../../src/sandbox/backends/aca/settings.js';
import { ConfigurationError, InvalidInputError } from '../../src/errors.js';
import { startScriptedServer } from './helpers/scripted-server.js';

const AZURE = 'https://eastus.dynamicsessions.io/subscriptions/s/resourceGroups/rg/sessionPools/pool';

describe('ACA settings', () => {
  it('names the variable and the docs when the endpoint is missing', () => {
    const error = (() => {
      try {
        createAcaSandbox({ env: {} });
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toMatch(/ACA_POOL_MANAGEMENT_ENDPOINT/);
    expect((error as Error).message).toMatch(/docs\/azure\.md/);
  });

  it('treats a blank variable as missing', () => {
    expect(() => createAcaSandbox({ env: { ACA_POOL_MANAGEMENT_ENDPOINT: '   ' } })).toThrow(ConfigurationError);
  });

  it('normalises whitespace and trailing slashes; the option wins over the environment', () => {
    expect(resolveAcaConnection({ env: { ACA_POOL_MANAGEMENT_ENDPOINT: `  ${AZURE}//  \n` } }).endpoint).toBe(AZURE);
    expect(resolveAcaConnection({ poolManagementEndpoint: `${AZURE}/`, env: { ACA_POOL_MANAGEMENT_ENDPOINT: 'https://other.example' } }).endpoint).toBe(AZURE);
  });

  it('rejects something that is not an http(s) URL', () => {
    expect(() => resolveAcaConnection({ poolManagementEndpoint: 'eastus.dynamicsessions.io/pool', env: {} })).toThrow(/not a URL/);
    expect(() => resolveAcaConnection({ poolManagementEndpoint: 'ftp://example.com/pool', env: {} })).toThrow(/https/);
  });

  it('refuses to send Azure tokens over plain http to a remote host, but allows loopback and static tokens', () => {
    expect(() => resolveAcaConnection({ poolManagementEndpoint: 'http://pool.example.com', env: {} })).toThrow(/only sent over https/);
    expect(resolveAcaConnection({ poolManagementEndpoint: 'http://127.0.0.1:9000', env: {} }).endpoint).toBe('http://127.0.0.1:9000');
    expect(resolveAcaConnection({ poolManagementEndpoint: 'http://pool.example.com', env: { ACA_POOL_ACCESS_TOKEN: 'key' } }).accessToken).toBe('key');
  });

  it('treats an empty ACA_POOL_ACCESS_TOKEN as unset, and needs no credential for a plain-http loopback pool', () => {
    for (const endpoint of ['http://127.0.0.1:8787', 'http://127.1.2.3:9', 'http://localhost:8787/pool', 'http://[::1]:8787', 'http://[0:0:0:0:0:0:0:1]:1']) {
      for (const token of [undefined, '', '   ']) {
        const env = token === undefined ? {} : { ACA_POOL_ACCESS_TOKEN: token };
        expect(resolveAcaConnection({ poolManagementEndpoint: endpoint, env }), `${endpoint} ${JSON.stringify(token)}`).toMatchObject({ auth: 'none', accessToken: undefined });
      }
    }
    expect(resolveAcaConnection({ poolManagementEndpoint: 'http://127.0.0.1:1', env: { ACA_POOL_ACCESS_TOKEN: 'key' } }).auth).toBe('token');
    // https is never a keyless Tidepool pool; nor are names that merely start like loopback.
    expect(resolveAcaConnection({ poolManagementEndpoint: 'https://localhost:8443/pool', env: {} }).auth).toBe('azure');
    expect(resolveAcaConnection({ poolManagementEndpoint: AZURE, env: { ACA_POOL_ACCESS_TOKEN: '' } }).auth).toBe('azure');
    expect(() => resolveAcaConnection({ poolManagementEndpoint: 'http://127.0.0.1.example.com', env: {} })).toThrow(/only sent over https/);
    expect(() => resolveAcaConnection({ poolManagementEndpoint: 'http://localhost.example.com', env: {} })).toThrow(/only sent over https/);
  });

  it('selects the API generation from ACA_API_VERSION, defaulting to 2024-02-02-preview', () => {
    expect(resolveAcaConnection({ poolManagementEndpoint: AZURE, env: {} }).api).toMatchObject({ version: '2024-02-02-preview', generation: 1 });
    for (const version of ['2024-10-02-preview', '2025-02-02-preview', '2025-10-02-preview']) {
      expect(resolveAcaConnection({ poolManagementEndpoint: AZURE, env: { ACA_API_VERSION: version } }).api.generation).toBe(2);
    }
    expect(() => resolveAcaConnection({ poolManagementEndpoint: AZURE, env: { ACA_API_VERSION: '2023-01-01' } })).toThrow(/ACA_API_VERSION.*2025-10-02-preview/);
  });

  it('has the ACA banner and type', () => {
    const sandbox = createAcaSandbox({ env: { ACA_POOL_MANAGEMENT_ENDPOINT: AZURE, ACA_POOL_ACCESS_TOKEN: 't' } });
    expect(sandbox.type).toBe('Sandbox-ACA');
    expect(sandbox.banner).toBe('☁️ [Azure Container Apps Sandbox]');
  });
});

describe('session identifiers', () => {
  it('follow the service rules of the selected API version, checked before any request', async () => {
    const server = await startScriptedServer([]);
    try {
      const gen1 = createAcaSandbox({ env: { ACA_POOL_MANAGEMENT_ENDPOINT: server.url, ACA_POOL_ACCESS_TOKEN: 't' } });
      expect(() => gen1.session('ab')).toThrow(InvalidInputError);
      expect(() => gen1.session('has space')).toThrow(/4-128/);
      expect(() => gen1.session('x'.repeat(129))).toThrow(InvalidInputError);
      expect(gen1.session('weather-new-york').identifier).toBe('weather-new-york');
      expect(gen1.session('a|b#c(d)').identifier).toBe('a|b#c(d)');

      const oct = createAcaSandbox({ env: { ACA_POOL_MANAGEMENT_ENDPOINT: server.url, ACA_POOL_ACCESS_TOKEN: 't', ACA_API_VERSION: '2024-10-02-preview' } });
      expect(oct.session('ab').identifier).toBe('ab');
      expect(() => oct.session('a|b')).toThrow(/letters, digits, "-" or "_"/);

      const client = new AcaClient({ poolManagementEndpoint: server.url, accessToken: 't', env: {} });
      await expect(client.execute('no', '1', { timeoutMs: 1000 })).rejects.toBeInstanceOf(InvalidInputError);
      await expect(client.list('ünïcode')).rejects.toBeInstanceOf(InvalidInputError);
      expect(server.requests).toHaveLength(0);
    } finally {
      await server.close();
    }
  });

  it('are random UUIDs when omitted, and the same identifier gives the same session object', () => {
    const sandbox = createAcaSandbox({ env: { ACA_POOL_MANAGEMENT_ENDPOINT: AZURE, ACA_POOL_ACCESS_TOKEN: 't' } });
    const first = sandbox.session();
    expect(first.identifier).toMatch(/^[0-9a-f-]{36}$/);
    expect(sandbox.session().identifier).not.toBe(first.identifier);
    expect(sandbox.session('named-1')).toBe(sandbox.session('named-1'));
  });
});
