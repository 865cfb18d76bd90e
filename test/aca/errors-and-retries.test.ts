/** The status → error table and the retry rule, against a scripted loopback server. */
import { once } from 'node:events';
import net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AcaClient } from '../../src/sandbox/backends/aca/aca-client.js';
import {
  AuthenticationError,
  CapacityError,
  InvalidInputError,
  NotFoundError,
  SandboxTimeoutError,
  SessionLostError,
  TransportError,
  type SandboxError,
} from '../../src/errors.js';
import { gen1Result, startScriptedServer, type Reply, type ScriptedServer } from './helpers/scripted-server.js';

let server: ScriptedServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const FAST = { maxRetries: 3, maxRetryTimeMs: 10_000, minDelayMs: 5, maxDelayMs: 20 };

function caught(promise: Promise<unknown>): Promise<SandboxError> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error as SandboxError,
  );
}

// Both ways the client sends requests (undici's agents; Node's own http, which CLI commands use) pass the same table.
describe.each(['undici', 'node'] as const)('over %s', (httpClient) => {
  async function clientFor(script: Reply[], retry: Partial<typeof FAST> = FAST, requestTimeoutMs?: number): Promise<AcaClient> {
    server = await startScriptedServer(script);
    return new AcaClient({ poolManagementEndpoint: server.url, accessToken: 'key', env: {}, retry, requestTimeoutMs, executionGraceMs: 0, httpClient });
  }

  describe('status → error table', () => {
    it.each([
      [403, AuthenticationError, /Azure ContainerApps Session Executor/],
      [404, NotFoundError, /ACA_POOL_MANAGEMENT_ENDPOINT/],
      [400, InvalidInputError, /rejected the request/],
      [413, InvalidInputError, /128 MB/],
      [500, TransportError, /service failed/],
    ])('HTTP %i becomes %o with status, url and body', async (status, type, hint) => {
      const body = JSON.stringify({ error: { code: 'SomeCode', message: 'service said 🌵' } });
      const client = await clientFor([{ status, headers: { 'content-type': 'application/json' }, body }]);
      const error = await caught(client.list('session-1'));
      expect(error).toBeInstanceOf(type);
      expect(error.statusCode).toBe(status);
      expect(error.url).toMatch(/\/files\?api-version=2024-02-02-preview&identifier=session-1$/);
      expect(error.responseBody).toBe(body);
      expect(error.message).toMatch(/SomeCode: service said 🌵/);
      expect(error.message).toMatch(hint);
    });

    it("maps a Tidepool pool's SessionLost to SessionLostError and its Timeout to SandboxTimeoutError", async () => {
      const client = await clientFor([
        { status: 500, json: { error: { code: 'SessionLost', message: 'kernel died' } } },
        { status: 504, json: { error: { code: 'Timeout', message: 'took too long' } } },
      ]);
      const lost = await caught(client.execute('session-1', '1', { timeoutMs: 1000 }));
      expect(lost).toBeInstanceOf(SessionLostError);
      expect(lost.message).toMatch(/variables are lost/);
      expect(await caught(client.execute('session-1', '1', { timeoutMs: 1000 }))).toBeInstanceOf(SandboxTimeoutError);
    });

    it('maps SessionWithIdentifierNotFound to NotFoundError and a capacity 404 to CapacityError', async () => {
      const client = await clientFor([
        { status: 400, json: { error: { code: 'SessionWithIdentifierNotFound', message: 'no such session' } } },
        { status: 404, json: { error: { code: 'NotFound', message: 'No more sessions can be allocated: maximum number of sessions reached' } } },
      ]);
      expect(await caught(client.list('session-1'))).toBeInstanceOf(NotFoundError);
      expect(await caught(client.execute('session-1', '1', { timeoutMs: 1000 }))).toBeInstanceOf(CapacityError);
    });
  });

  describe('retries', () => {
    it('retries idempotent requests on 429, 502, 503 and 504, then succeeds', async () => {
      const listed = { status: 200, json: { value: [] } };
      const client = await clientFor([{ status: 429 }, { status: 502 }, { status: 503 }, listed]);
      expect(await client.list('session-1')).toEqual([]);
      expect(server!.requests).toHaveLength(4);
    });

    it('gives up after maxRetries with the attempt count in the message', async () => {
      const client = await clientFor([{ status: 503 }, { status: 503 }, { status: 503 }, { status: 503 }, { status: 503 }]);
      const error = await caught(client.list('session-1'));
      expect(error).toBeInstanceOf(CapacityError);
      expect(error.message).toMatch(/Gave up after 4 attempts/);
      expect(server!.requests).toHaveLength(4);
      expect(server!.remaining()).toBe(1);
    });

    it('honours Retry-After (seconds) before the next attempt', async () => {
      const client = await clientFor([{ status: 429, headers: { 'retry-after': '1' } }, gen1Result({ result: 1 })]);
      expect((await client.execute('session-1', '1', { timeoutMs: 5000 })).result).toBe(1);
      const [first, second] = server!.requests;
      expect(second!.at - first!.at).toBeGreaterThanOrEqual(950);
    });

    it('stops at once when Retry-After does not fit the retry budget', async () => {
      const client = await clientFor([{ status: 429, headers: { 'retry-after': '120' } }, gen1Result({ result: 1 })], { ...FAST, maxRetryTimeMs: 2000 });
      const error = await caught(client.execute('session-1', '1', { timeoutMs: 5000 }));
      expect(error).toBeInstanceOf(CapacityError);
      expect(error.message).toMatch(/Retry-After.*beyond the retry budget of 2000 ms/);
      expect(server!.requests).toHaveLength(1);
    });

    it('retries an execution on 429 and 503 (the service refused it before running)', async () => {
      const client = await clientFor([{ status: 503 }, { status: 429 }, gen1Result({ result: 7 })]);
      expect((await client.execute('session-1', '7', { timeoutMs: 5000 })).result).toBe(7);
      expect(server!.requests).toHaveLength(3);
    });

    it.each([[502], [504]])('never retries an execution after HTTP %i, and says why', async (status) => {
      const client = await clientFor([{ status }, gen1Result({ result: 7 })]);
      const error = await caught(client.execute('session-1', 'x += 1', { timeoutMs: 5000 }));
      expect(error.statusCode).toBe(status);
      expect(error.message).toMatch(/Not retried: the code may already have run/);
      expect(server!.requests).toHaveLength(1);
    });

    it('never retries an execution after the connection was reset mid-request', async () => {
      const client = await clientFor(['reset', gen1Result({ result: 7 })]);
      const error = await caught(client.execute('session-1', 'x += 1', { timeoutMs: 5000 }));
      expect(error).toBeInstanceOf(TransportError);
      expect(error.message).toMatch(/Not retried/);
      expect(server!.requests).toHaveLength(1);
    });

    it('never retries an execution whose answer was cut short, and retries a read', async () => {
      const client = await clientFor(['cut', 'cut', { status: 200, json: { value: [] } }]);
      const error = await caught(client.execute('session-1', 'x += 1', { timeoutMs: 5000 }));
      expect(error).toBeInstanceOf(TransportError);
      expect(error.message).toMatch(/Not retried/);
      expect(await client.list('session-1')).toEqual([]);
      expect(server!.requests).toHaveLength(3);
    });

    it('retries a read after a connection reset', async () => {
      const client = await clientFor(['reset', { status: 200, json: { value: [] } }]);
      expect(await client.list('session-1')).toEqual([]);
      expect(server!.requests).toHaveLength(2);
    });

    it('times out a silent request per attempt: a read is retried, an execution is not', async () => {
      const client = await clientFor(['hang', { status: 200, json: { value: [] } }, 'hang', gen1Result({ result: 1 })], FAST, 300);
      expect(await client.list('session-1')).toEqual([]);
      const error = await caught(client.execute('session-1', '1', { timeoutMs: 300 }));
      expect(error).toBeInstanceOf(SandboxTimeoutError);
      expect(error.message).toMatch(/no complete response within 300 ms/);
      expect(error.message).toMatch(/Not retried/);
      expect(server!.requests).toHaveLength(3);
    });

    it('retries an execution when the connection is refused (nothing was sent), then reports the failure', async () => {
      const probe = net.createServer().listen(0, '127.0.0.1');
      await once(probe, 'listening');
      const port = (probe.address() as net.AddressInfo).port;
      await new Promise<void>((resolve) => probe.close(() => resolve()));
      const client = new AcaClient({ poolManagementEndpoint: `http://127.0.0.1:${port}/pool`, accessToken: 'key', env: {}, retry: { ...FAST, maxRetries: 2 }, httpClient });
      const error = await caught(client.execute('session-1', '1', { timeoutMs: 1000 }));
      expect(error).toBeInstanceOf(TransportError);
      expect(error.message).toMatch(/ECONNREFUSED/);
      expect(error.message).toMatch(/Gave up after 3 attempts/);
    });

    it('stops when the caller aborts, with the caller’s reason', async () => {
      const client = await clientFor(['hang']);
      const controller = new AbortController();
      const pending = client.execute('session-1', '1', { timeoutMs: 60_000, signal: controller.signal });
      pending.catch(() => undefined);
      // Abort while the request is in flight: once the server holds it unanswered.
      await vi.waitFor(() => expect(server!.requests).toHaveLength(1), { timeout: 30_000, interval: 10 });
      controller.abort(new Error('user pressed Ctrl-C'));
      await expect(pending).rejects.toThrow('user pressed Ctrl-C');
    });
  });
});
