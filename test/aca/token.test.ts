import type { AccessToken, TokenCredential } from '@azure/identity';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AggregateAuthenticationError, CredentialUnavailableError, DefaultAzureCredential, ManagedIdentityCredential } from '@azure/identity';
import { AcaClient } from '../../src/sandbox/backends/aca/aca-client.js';
import { createAzureCredential } from '../../src/sandbox/backends/aca/credential.js';
import { CredentialTokenProvider, DYNAMIC_SESSIONS_SCOPE, describeCredentialFailure } from '../../src/sandbox/backends/aca/token-provider.js';
import { AuthenticationError } from '../../src/errors.js';
import { gen1Result, startScriptedServer, type ScriptedServer } from './helpers/scripted-server.js';

const HOUR = 3_600_000;

/** Hands out token-1, token-2, … valid for `lifetimeMs` from the fake clock; can be held back. */
class FakeCredential implements TokenCredential {
  calls = 0;
  scopes: string[] = [];
  lifetimeMs = HOUR;
  failWith: Error | undefined;
  #release: (() => void) | undefined;
  #gate: Promise<void> | undefined;

  constructor(private readonly now: () => number) {}

  hold(): void {
    this.#gate = new Promise((resolve) => (this.#release = resolve));
  }

  release(): void {
    this.#release?.();
    this.#gate = undefined;
  }

  async getToken(scope: string | string[]): Promise<AccessToken> {
    this.calls += 1;
    const call = this.calls;
    this.scopes.push(String(scope));
    if (this.#gate) await this.#gate;
    if (this.failWith) throw this.failWith;
    return { token: `token-${call}`, expiresOnTimestamp: this.now() + this.lifetimeMs };
  }
}

describe('CredentialTokenProvider', () => {
  let now = 1_700_000_000_000;
  const clock = () => now;

  it('asks for the dynamic-sessions scope and caches the token until it is close to expiry', async () => {
    const credential = new FakeCredential(clock);
    const provider = new CredentialTokenProvider(credential, { now: clock, refreshAheadMs: 5 * 60_000 });
    expect(await provider.getToken()).toBe('token-1');
    now += 30 * 60_000;
    expect(await provider.getToken()).toBe('token-1');
    expect(credential.calls).toBe(1);
    expect(credential.scopes).toEqual([DYNAMIC_SESSIONS_SCOPE]);
    expect(DYNAMIC_SESSIONS_SCOPE).toBe('https://dynamicsessions.io/.default');
  });

  it('refreshes ahead of expiry in the background, keeping the still-valid token meanwhile', async () => {
    const credential = new FakeCredential(clock);
    const provider = new CredentialTokenProvider(credential, { now: clock, refreshAheadMs: 5 * 60_000 });
    await provider.getToken();
    now += HOUR - 2 * 60_000; // inside the 5-minute window, 2 minutes before expiry
    credential.hold();
    expect(await provider.getToken()).toBe('token-1'); // does not wait for the refresh
    expect(credential.calls).toBe(2);
    credential.release();
    // The background refresh lands on its own; until then callers keep getting the valid token-1.
    await vi.waitFor(async () => expect(await provider.getToken()).toBe('token-2'), { timeout: 10_000, interval: 1 });
    expect(credential.calls).toBe(2);
  });

  it('waits for a new token once the cached one has expired', async () => {
    const credential = new FakeCredential(clock);
    const provider = new CredentialTokenProvider(credential, { now: clock });
    await provider.getToken();
    now += HOUR + 1;
    expect(await provider.getToken()).toBe('token-2');
  });

  it('honours refreshAfterTimestamp when the credential sends one', async () => {
    const credential: TokenCredential = {
      getToken: async () => ({ token: `t-${now}`, expiresOnTimestamp: now + HOUR, refreshAfterTimestamp: now + 60_000 }),
    };
    const provider = new CredentialTokenProvider(credential, { now: clock });
    const first = await provider.getToken();
    now += 2 * 60_000;
    await provider.getToken(); // starts the early refresh, returns the old token
    await vi.waitFor(async () => expect(await provider.getToken()).not.toBe(first), { timeout: 10_000, interval: 1 });
  });

  it('shares one refresh among concurrent callers', async () => {
    const credential = new FakeCredential(clock);
    const provider = new CredentialTokenProvider(credential, { now: clock });
    credential.hold();
    const waiting = Array.from({ length: 20 }, () => provider.getToken());
    credential.release();
    expect(new Set(await Promise.all(waiting))).toEqual(new Set(['token-1']));
    expect(credential.calls).toBe(1);
  });

  it('turns a credential failure into an AuthenticationError that says how to sign in, and tries again next time', async () => {
    const credential = new FakeCredential(clock);
    credential.failWith = new Error('Please run az login to set up an account');
    const provider = new CredentialTokenProvider(credential, { now: clock });
    const error = await provider.getToken().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as Error).message).toMatch(/az login/);
    expect((error as Error).message).toMatch(/ACA_POOL_ACCESS_TOKEN/);
    credential.failWith = undefined;
    expect(await provider.getToken()).toBe('token-2');
  });

  it('says in at most three lines how to get a credential when nobody is signed in, keeping the details on cause', async () => {
    const credential = new FakeCredential(clock);
    // What DefaultAzureCredential throws on a machine with no Azure identity at all.
    credential.failWith = new AggregateAuthenticationError(
      [
        new CredentialUnavailableError('EnvironmentCredential is unavailable. No underlying credential could be used.'),
        new CredentialUnavailableError('ManagedIdentityCredential: Authentication failed.\nHttp status code: 403'),
        new CredentialUnavailableError("Azure CLI could not be found. Please visit https://aka.ms/azure-cli and then run 'az login'."),
      ],
      'ChainedTokenCredential authentication failed.',
    );
    const error = await new CredentialTokenProvider(credential, { now: clock }).getToken().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AuthenticationError);
    const message = (error as Error).message;
    expect(message.split('\n').length).toBeLessThanOrEqual(3);
    expect(message).not.toMatch(/CredentialUnavailableError|EnvironmentCredential|Http status/);
    for (const way of ['ACA_POOL_ACCESS_TOKEN', '`az login`', 'managed identity', 'AZURE_CLIENT_ID']) expect(message).toContain(way);
    expect((error as Error).cause).toBe(credential.failWith);
  });

  it('keeps one line of a real sign-in failure, and still names both ways', () => {
    const message = describeCredentialFailure(new Error('AADSTS700016: Application not found in the directory.\nTrace ID: 1234\nCorrelation ID: 5678'));
    expect(message.split('\n')).toHaveLength(3);
    expect(message).toMatch(/^Azure sign-in failed: AADSTS700016: Application not found in the directory\. Either$/m);
    expect(message).not.toContain('Trace ID');
    expect(message).toContain('ACA_POOL_ACCESS_TOKEN');
    expect(message).toContain('`az login`');
    expect(describeCredentialFailure(new CredentialUnavailableError('x'))).toMatch(/^No credential for the ACA session pool/);
  });

  it('lets one caller stop waiting without cancelling the shared refresh', async () => {
    const credential = new FakeCredential(clock);
    const provider = new CredentialTokenProvider(credential, { now: clock });
    credential.hold();
    const controller = new AbortController();
    const impatient = provider.getToken(controller.signal);
    const patient = provider.getToken();
    controller.abort(new Error('caller gave up'));
    await expect(impatient).rejects.toThrow('caller gave up');
    credential.release();
    expect(await patient).toBe('token-1');
  });
});

describe('choosing the Azure credential', () => {
  it('uses the managed identity named by AZURE_CLIENT_ID, else DefaultAzureCredential', async () => {
    expect(await createAzureCredential('00000000-0000-0000-0000-000000000001', {})).toBeInstanceOf(ManagedIdentityCredential);
    expect(await createAzureCredential(undefined, {})).toBeInstanceOf(DefaultAzureCredential);
    // With a secret beside it, AZURE_CLIENT_ID describes a service principal, which DefaultAzureCredential handles.
    expect(await createAzureCredential('00000000-0000-0000-0000-000000000001', { AZURE_CLIENT_SECRET: 's' })).toBeInstanceOf(DefaultAzureCredential);
  });
});

describe('401 handling in the client', () => {
  let server: ScriptedServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('refreshes the token once and retries once after a 401', async () => {
    const credential = new FakeCredential(Date.now);
    server = await startScriptedServer((request) =>
      request.headers.authorization === 'Bearer token-1' ? { status: 401, body: 'expired' } : gen1Result({ result: 42 }),
    );
    const client = new AcaClient({ poolManagementEndpoint: server.url, credential, env: {} });
    const result = await client.execute('session-1', '6*7', { timeoutMs: 10_000 });
    expect(result.result).toBe(42);
    expect(server.requests.map((request) => request.headers.authorization)).toEqual(['Bearer token-1', 'Bearer token-2']);
    expect(credential.calls).toBe(2);
  });

  it('gives up with an AuthenticationError naming the role when the new token is rejected too', async () => {
    const credential = new FakeCredential(Date.now);
    server = await startScriptedServer(() => ({ status: 401, json: { error: { code: 'InvalidToken', message: 'audience mismatch' } } }));
    const client = new AcaClient({ poolManagementEndpoint: server.url, credential, env: {} });
    const error = await client.execute('session-1', '1', { timeoutMs: 10_000 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as AuthenticationError).statusCode).toBe(401);
    expect((error as Error).message).toMatch(/audience mismatch/);
    expect((error as Error).message).toMatch(/Azure ContainerApps Session Executor/);
    expect(server.requests).toHaveLength(2);
    expect(credential.calls).toBe(2);
  });

  it('concurrent requests that all hit a 401 share one refresh', async () => {
    const credential = new FakeCredential(Date.now);
    server = await startScriptedServer((request) =>
      request.headers.authorization === 'Bearer token-1' ? { status: 401, body: '' } : gen1Result({ result: 1 }),
    );
    const client = new AcaClient({ poolManagementEndpoint: server.url, credential, env: {} });
    await client.prepare();
    const results = await Promise.all(Array.from({ length: 5 }, (_, index) => client.execute(`session-${index}`, '1', { timeoutMs: 10_000 })));
    expect(results.every((result) => result.status === 'success')).toBe(true);
    expect(credential.calls).toBe(2);
  });

  it('does not refresh a static ACA_POOL_ACCESS_TOKEN: one request, then AuthenticationError', async () => {
    server = await startScriptedServer(() => ({ status: 401, body: 'bad key' }));
    const client = new AcaClient({ poolManagementEndpoint: server.url, env: { ACA_POOL_ACCESS_TOKEN: 'fixed' } });
    const error = await client.list('session-1').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as Error).message).toMatch(/token in ACA_POOL_ACCESS_TOKEN .*was rejected/);
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]!.headers.authorization).toBe('Bearer fixed');
  });
});

describe('a plain-http loopback pool without a token', () => {
  let server: ScriptedServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('gets no Authorization header and no sign-in attempt, even with an empty ACA_POOL_ACCESS_TOKEN', async () => {
    server = await startScriptedServer([gen1Result({ result: 42 })]);
    const client = new AcaClient({ poolManagementEndpoint: server.url, env: { ACA_POOL_ACCESS_TOKEN: '' } });
    await client.prepare();
    expect((await client.execute('session-1', '6*7', { timeoutMs: 10_000 })).result).toBe(42);
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]!.headers).not.toHaveProperty('authorization');
  });

  it('turns a 401 from a pool with keys into an AuthenticationError naming ACA_POOL_ACCESS_TOKEN, after one request', async () => {
    server = await startScriptedServer(() => ({ status: 401, headers: { 'www-authenticate': 'Bearer' }, json: { error: { code: 'Unauthorized', message: 'A bearer key is required.' } } }));
    const client = new AcaClient({ poolManagementEndpoint: server.url, env: {} });
    const error = await client.execute('session-1', '1', { timeoutMs: 10_000 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as AuthenticationError).statusCode).toBe(401);
    expect((error as Error).message).toMatch(/requires an API key and none was sent: set ACA_POOL_ACCESS_TOKEN/);
    expect((error as Error).message).not.toMatch(/az login/);
    expect(server.requests).toHaveLength(1);
  });
});
