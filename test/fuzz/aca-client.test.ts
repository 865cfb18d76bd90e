/**
 * Fuzzing the ACA client against a misbehaving loopback service: any status, wrong or truncated
 * envelopes, HTML and random bytes, slow bodies, bodies cut short, resets and silence. Every call
 * must settle within its bounds, either with a value of the contract's shape or with one of the
 * contract's typed errors (a SandboxError subclass), and leave no unhandled rejection behind.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AcaClient } from '../../src/sandbox/backends/aca/aca-client.js';
import { SandboxError } from '../../src/errors.js';
import { fuzzSettings, recordFuzzSection, Tally } from './support/fuzz-settings.js';
import { failOnUnhandledRejections } from './support/unhandled-rejections.js';
import { within } from './support/http-oracle.js';
import { startMisbehavingServer, type Misbehaviour, type MisbehavingServer } from './support/misbehaving-server.js';

const settings = fuzzSettings(400);
const outcomes = new Tally();
const runsByProperty: Record<string, number> = {};
const unhandled = failOnUnhandledRejections();
let server: MisbehavingServer;

beforeAll(async () => {
  server = await startMisbehavingServer();
});
afterAll(async () => {
  await server?.close();
  await recordFuzzSection(settings.recordDir, 'fuzz-aca-client', { seed: settings.seed, runsByProperty, requests: server?.requests ?? 0, outcomes: outcomes.counts, unhandledRejections: unhandled.count });
});

const text = (value: unknown) => new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value));

/** Envelopes close to what the service sends, so the parsers get past their first checks. */
const nearValidJson = fc.oneof(
  fc.record({ $id: fc.constant('1'), properties: fc.record({ status: fc.constantFrom('Success', 'Failure', 'Running', 'x', 1), stdout: fc.oneof(fc.string(), fc.integer()), stderr: fc.string(), result: fc.jsonValue({ maxDepth: 2 }), executionTimeInMilliseconds: fc.oneof(fc.integer(), fc.string()) }, { requiredKeys: [] }) }),
  fc.record({
    id: fc.string(),
    identifier: fc.string(),
    status: fc.constantFrom('Succeeded', 'Failed', 'Running', 'NotStarted', 'Cancelled', ''),
    result: fc.option(fc.record({ stdout: fc.string(), stderr: fc.string(), executionResult: fc.jsonValue({ maxDepth: 2 }), executionTimeInMilliseconds: fc.integer() }, { requiredKeys: [] })),
    error: fc.option(fc.record({ code: fc.string(), message: fc.string() })),
  }, { requiredKeys: [] }),
  fc.record({ $id: fc.constant('1'), value: fc.array(fc.record({ properties: fc.record({ filename: fc.oneof(fc.string(), fc.integer()), size: fc.oneof(fc.integer(), fc.string()), lastModifiedTime: fc.string() }, { requiredKeys: [] }) }, { requiredKeys: [] }), { maxLength: 3 }) }),
  fc.record({ value: fc.array(fc.record({ name: fc.string(), type: fc.constantFrom('file', 'directory', 'link'), sizeInBytes: fc.integer(), lastModifiedAt: fc.string(), directory: fc.string() }, { requiredKeys: [] }), { maxLength: 3 }), nextLink: fc.option(fc.string()) }),
  fc.record({ name: fc.string(), sizeInBytes: fc.integer(), lastModifiedAt: fc.string() }, { requiredKeys: [] }),
  fc.record({ error: fc.record({ code: fc.constantFrom('SessionRequestValidationFailed', 'SessionWithIdentifierNotFound', 'SessionLost', 'x'), message: fc.string() }, { requiredKeys: [] }) }),
  fc.jsonValue({ maxDepth: 3 }),
);

const body = fc.oneof(
  nearValidJson.map(text),
  nearValidJson.chain((json) => fc.nat().map((cut) => text(json).subarray(0, cut % Math.max(1, text(json).length)))),
  fc.constantFrom('', '<html><body>502 Bad Gateway</body></html>', 'null', '{', '\uFEFF{}').map(text),
  fc.uint8Array({ maxLength: 200 }),
);

const status = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(200, 201, 202, 204, 400, 401, 403, 404, 409, 410, 413, 429, 500, 502, 503, 504) }, { weight: 1, arbitrary: fc.integer({ min: 200, max: 599 }) });
const headers = fc.oneof(
  fc.constant({ 'content-type': 'application/json; charset=utf-8' }),
  fc.constant({ 'content-type': 'text/html' }),
  fc.constant({}),
  fc.record({ 'content-type': fc.constant('application/json'), 'retry-after': fc.constantFrom('0', '1', 'soon', '-5', 'Wed, 21 Oct 2015 07:28:00 GMT', '99999') }),
);

const misbehaviour: fc.Arbitrary<Misbehaviour> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('answer' as const), status, headers, body }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('slow' as const), status, headers, body, pauseMs: fc.integer({ min: 1, max: 300 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('cut' as const), status, headers, body }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reset' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'hang' as const }) },
);

type Operation = 'execute' | 'upload' | 'list' | 'download' | 'deleteFile' | 'deleteSession';
const OPERATIONS: Operation[] = ['execute', 'upload', 'list', 'download', 'deleteFile', 'deleteSession'];

async function call(client: AcaClient, operation: Operation): Promise<unknown> {
  switch (operation) {
    case 'execute':
      return client.execute('fuzz-session-1', 'print(1)', { timeoutMs: 200 });
    case 'upload':
      return client.upload('fuzz-session-1', 'a.txt', new Uint8Array([1, 2, 3]));
    case 'list':
      return client.list('fuzz-session-1');
    case 'download':
      return client.download('fuzz-session-1', 'a.txt');
    case 'deleteFile':
      return client.deleteFile('fuzz-session-1', 'a.txt');
    case 'deleteSession':
      return client.deleteSession('fuzz-session-1');
  }
}

/** What a resolved call must look like, per the contract. */
function expectContractShape(operation: Operation, value: unknown): void {
  if (operation === 'execute') {
    expect(value).toMatchObject({ status: expect.stringMatching(/^(success|failure)$/), stdout: expect.any(String), stderr: expect.any(String), images: expect.any(Array) });
  } else if (operation === 'list') {
    expect(Array.isArray(value)).toBe(true);
    for (const file of value as unknown[]) expect(file).toMatchObject({ name: expect.any(String) });
  } else if (operation === 'download') {
    expect(value).toBeInstanceOf(Uint8Array);
  } else if (operation === 'upload') {
    expect(value).toMatchObject({ name: expect.any(String) });
  } else {
    expect(value).toBeUndefined();
  }
}

describe('ACA client against a misbehaving service', () => {
  it('settles every call with a contract value or a typed SandboxError', async () => {
    // A hang costs a whole request timeout, so this fuzzer runs a fiftieth of the others' count.
    const runs = settings.runs(0.02, 100);
    runsByProperty['client: misbehaving service'] = runs;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...OPERATIONS), fc.constantFrom('2024-02-02-preview', '2025-10-02-preview'), fc.array(misbehaviour, { minLength: 1, maxLength: 3 }), async (operation, apiVersion, replies) => {
        server.script(replies);
        const client = new AcaClient({
          poolManagementEndpoint: server.url,
          accessToken: 'fuzz-token',
          apiVersion,
          env: {},
          retry: { maxRetries: 1, maxRetryTimeMs: 1_000, minDelayMs: 1, maxDelayMs: 5 },
          requestTimeoutMs: 400,
          executionGraceMs: 400,
        });
        // Each attempt is bounded (400 ms plus the slowest body), and there are two at most.
        const settled = await within(
          10_000,
          call(client, operation).then(
            (value) => ({ ok: true as const, value }),
            (error: unknown) => ({ ok: false as const, error }),
          ),
          `${operation} (${apiVersion})`,
        );
        if (settled.ok) {
          expectContractShape(operation, settled.value);
          outcomes.add(`${operation}: value`);
        } else {
          expect(settled.error, `${operation} failed with ${String(settled.error)}`).toBeInstanceOf(SandboxError);
          expect((settled.error as Error).message.length).toBeGreaterThan(0);
          outcomes.add(`${operation}: ${(settled.error as Error).name}`);
        }
      }),
      { numRuns: runs, seed: settings.seed },
    );
  });
});
