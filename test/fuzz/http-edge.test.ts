/**
 * Property-based fuzzing of the pool's HTTP edge, in-process against a runtime that keeps
 * everything in memory: every route of both API generations and the legacy python/* routes,
 * with malformed api-versions, identifiers, bodies, headers, query strings, file names and
 * multipart bodies. Every answer must be a documented status (a JSON envelope with a documented
 * code for errors, nothing internal in it), come within a bound, refuse what is known to be wrong
 * with the right target, and a 200 must carry this request's own code, session and bytes.
 */
import fc from 'fast-check';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPoolApp } from '../../src/pool/http/app.js';
import { ExecutionStore } from '../../src/pool/http/execution-store.js';
import { PoolMetrics } from '../../src/pool/http/metrics.js';
import { resolvePoolSettings } from '../../src/pool/settings.js';
import { fuzzSettings, recordFuzzSection, Tally } from './support/fuzz-settings.js';
import { checkAnswer, OracleViolation, within, type CheckedAnswer } from './support/http-oracle.js';
import {
  apiVersionPart,
  fileNamePart,
  identifierPart,
  invalidExecutionBody,
  junkHeadersPart,
  junkQueryPart,
  multipartPart,
  POOL_PREFIX,
  ROUTES,
  validExecutionBody,
  type RouteSpec,
} from './support/http-requests.js';
import { MemorySessionManager } from './support/memory-session-manager.js';

const settings = fuzzSettings(400);
const ANSWER_WITHIN_MS = 15_000;
const byRoute = new Tally();
const byStatus = new Tally();
const runsByProperty: Record<string, number> = {};
const startedAt = Date.now();

let manager: MemorySessionManager;
let request: (path: string, init?: RequestInit) => Promise<Response>;
/** The same app with an API key, for the authentication property. */
let keyedRequest: (path: string, init?: RequestInit) => Promise<Response>;
const API_KEY = 'fuzz-key-0123456789';

beforeAll(async () => {
  const poolSettings = resolvePoolSettings({ maxSessions: 1_000_000, readySessions: 0 }, {});
  manager = new MemorySessionManager(poolSettings.maxSessions);
  const executions = new ExecutionStore();
  const app = createPoolApp({
    sessionManager: manager,
    settings: poolSettings,
    apiKeys: [],
    logger: pino({ level: 'silent' }),
    metrics: new PoolMetrics(manager),
    executions,
    startedAt: new Date(),
  });
  request = (path, init) => Promise.resolve(app.request(`http://pool.test${path}`, init));
  const keyed = createPoolApp({ sessionManager: manager, settings: poolSettings, apiKeys: [API_KEY], logger: pino({ level: 'silent' }), metrics: new PoolMetrics(manager), executions, startedAt: new Date() });
  keyedRequest = (path, init) => Promise.resolve(keyed.request(`http://pool.test${path}`, init));
});

afterAll(async () => {
  await recordFuzzSection(settings.recordDir, 'fuzz-http', {
    seed: settings.seed,
    runsByProperty,
    requests: byRoute.total,
    byRoute: byRoute.counts,
    byStatus: byStatus.counts,
    durationMs: Date.now() - startedAt,
  });
});

/** Sends one request, checks the invariants every answer shares, and counts it. */
async function send(routeName: string, path: string, init: RequestInit, echoed: (string | undefined)[], options: { fileContent?: boolean } = {}): Promise<CheckedAnswer> {
  const what = `${init.method ?? 'GET'} ${path.slice(0, 300)}`;
  const answer = await within(ANSWER_WITHIN_MS, request(path, init).then((response) => checkAnswer(response, what, echoed.filter((text): text is string => !!text), { fileContent: options.fileContent ?? /content|downloadFile/.test(routeName) })), what);
  byRoute.add(routeName);
  byStatus.add(String(answer.status));
  return answer;
}

function query(pairs: (string | undefined)[]): string {
  const present = pairs.filter((pair): pair is string => pair !== undefined);
  return present.length > 0 ? `?${present.join('&')}` : '';
}

/** The code a JSON execution body carries, read independently of the server's parser. */
function codeOf(body: string | Uint8Array): string | undefined {
  const text = new TextDecoder().decode(typeof body === 'string' ? new TextEncoder().encode(body) : body);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const fields = ('properties' in value ? (value as { properties: unknown }).properties : value) as Record<string, unknown> | null;
  if (typeof fields !== 'object' || fields === null) return undefined;
  const code = Object.hasOwn(fields, 'code') ? fields.code : fields.pythonCode;
  if (typeof code !== 'string') return undefined;
  return String(fields.codeInputType ?? '').toLowerCase() === 'inlinebase64' ? Buffer.from(code, 'base64').toString('utf8') : code;
}

/** A 200 from an execution route must carry exactly this request's code and session. */
function expectOwnExecution(route: RouteSpec, answer: CheckedAnswer, sentCode: string | undefined, identifier: string | undefined): void {
  if (answer.status >= 300) return;
  const json = answer.json as Record<string, unknown>;
  const stdout = route.path === '/executions' ? (json.result as { stdout?: unknown } | undefined)?.stdout : route.path === '/code/execute' ? (json.properties as { stdout?: unknown }).stdout : json.stdout;
  if (route.path === '/executions' && json.status === 'Running') {
    if (json.identifier !== identifier) throw new OracleViolation('crossed answer', `async execution for "${identifier}" answered for "${String(json.identifier)}"`);
    return;
  }
  if (sentCode === undefined) throw new OracleViolation('wrong 200', `${route.name} accepted a body without readable code`);
  if (stdout !== sentCode) throw new OracleViolation('crossed answer', `${route.name} ran ${JSON.stringify(stdout).slice(0, 80)} instead of the code sent`);
  if (route.path === '/executions' && json.identifier !== identifier) throw new OracleViolation('crossed answer', `execution for "${identifier}" answered for "${String(json.identifier)}"`);
}

const routeArbitrary = fc.constantFrom(...ROUTES);
const prefixArbitrary = fc.constantFrom('', POOL_PREFIX, POOL_PREFIX.toLowerCase(), '/', '//');
let nextIdentifier = 0;
/** A session no earlier run touched (fast-check repeats generated values, and shrinking replays them). */
const freshIdentifier = () => `fuzz-${process.pid}-${nextIdentifier++}`;
const KNOWN_QUERY = /^(api-version|identifier)=/i;

describe('fuzzing the HTTP edge', () => {
  it('answers any request to any route with a documented status, refusing a bad api-version or identifier first', async () => {
    const runs = settings.runs(1);
    runsByProperty['any route, any part'] = runs;
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          route: routeArbitrary,
          prefix: prefixArbitrary,
          trailingSlash: fc.boolean(),
          apiVersion: apiVersionPart,
          identifier: identifierPart,
          name: fileNamePart,
          id: fc.oneof(fc.uuid(), fc.string({ maxLength: 140 })),
          junkQuery: junkQueryPart.map((pairs) => pairs.filter((pair) => !KNOWN_QUERY.test(decodeURIComponentSafe(pair)))),
          headers: junkHeadersPart,
          body: fc.oneof(invalidExecutionBody, validExecutionBody(true).map(({ body }) => JSON.stringify(body)), multipartPart.map((part) => part.body)),
        }),
        async (parts) => {
          const { route, apiVersion, identifier } = parts;
          const path =
            parts.prefix.replace(/\/$/, '') +
            route.path.replace('{name}', parts.name.split('/').map(encodeURIComponent).join('/') || 'x').replace('{id}', encodeURIComponent(parts.id) || 'x') +
            (parts.trailingSlash ? '/' : '');
          const pairs = [apiVersion.raw === undefined ? undefined : `api-version=${apiVersion.raw}`, identifier.raw === undefined ? undefined : `identifier=${identifier.raw}`, ...parts.junkQuery];
          if (route.path === '/python/downloadFile') pairs.push(`filename=${encodeURIComponent(parts.name)}`);
          const withBody = route.method !== 'GET';
          const answer = await send(route.name, path + query(pairs), { method: route.method, headers: parts.headers, body: withBody ? parts.body : undefined }, [identifier.decoded, parts.name, parts.id, decodeURIComponentSafe(apiVersion.raw ?? '')]);

          // A URL parser removes "." and ".." segments (also as %2e) before the request leaves,
          // so such a path may reach another route; only the shared invariants hold then.
          if (route.path.includes('{name}') && parts.name.split('/').some((segment) => /^\.{1,2}$/.test(segment))) return;
          if (route.path.includes('{id}') && /^\.{1,2}$/.test(parts.id)) return;
          const versionRefused = (route.apiVersion === 'required' && !apiVersion.valid) || (route.apiVersion === 'optional' && apiVersion.raw !== undefined && !apiVersion.valid);
          if (versionRefused) {
            expect(answer.status, `${route.name} with api-version ${apiVersion.raw}`).toBe(400);
            expect(answer.error).toMatchObject({ code: 'SessionRequestValidationFailed', target: 'api-version' });
          } else if (route.identifier && !identifier.valid) {
            expect(answer.status, `${route.name} with identifier ${identifier.raw?.slice(0, 80)}`).toBe(400);
            // python/execute reads its body first (it may carry the identifier), so a bad body can be named first.
            if (route.path !== '/python/execute') expect(answer.error).toMatchObject({ code: 'SessionRequestValidationFailed', target: 'identifier' });
          } else if (route.body === 'execution' && withBody) {
            expectOwnExecution(route, answer, codeOf(parts.body), identifier.decoded);
          }
        },
      ),
      { numRuns: runs, seed: settings.seed },
    );
  });

  it('lets in only the right bearer key, answering any other Authorization header with a JSON 401 that leaks nothing', async () => {
    const runs = settings.runs(0.5);
    runsByProperty['authorization headers'] = runs;
    const authorization = fc.oneof(
      fc.constant({ value: undefined, valid: false }),
      fc.constantFrom(`Bearer ${API_KEY}`, `bearer ${API_KEY}`, `  Bearer   ${API_KEY}  `).map((value) => ({ value, valid: true })),
      fc
        .oneof(
          fc.string({ maxLength: 60 }).map((text) => `Bearer ${text}`),
          fc.string({ maxLength: 60 }),
          fc.constantFrom('Bearer', 'Bearer ', 'Basic Zm9vOmJhcg==', `Bearer ${API_KEY.slice(0, -1)}`, `Bearer ${API_KEY}x`, `Token ${API_KEY}`, `Bearer ${API_KEY.toUpperCase()}`, 'Bearer a.b.c'),
        )
        .filter((value) => value.trim() !== '' && !value.includes(API_KEY) && /^[\x20-\x7e]*$/.test(value))
        .map((value) => ({ value, valid: false })),
    );
    await fc.assert(
      fc.asyncProperty(routeArbitrary, authorization, async (route, auth) => {
        const path = route.path.replace('{name}', 'a.txt').replace('{id}', 'x');
        const headers: Record<string, string> = auth.value === undefined ? {} : { authorization: auth.value };
        const what = `${route.method} ${path} with Authorization ${JSON.stringify(auth.value)}`;
        const answer = await within(ANSWER_WITHIN_MS, keyedRequest(`${path}?api-version=2025-10-02-preview&identifier=auth-fuzz`, { method: route.method, headers }).then((response) => checkAnswer(response, what, [auth.value ?? ''], { fileContent: true })), what);
        byRoute.add(route.name);
        byStatus.add(String(answer.status));
        // The health check answers anyone (saying only that the server is up).
        if (route.path === '/healthz') expect(answer.status).toBe(200);
        else if (auth.valid) expect(answer.status, what).not.toBe(401);
        else expect(answer.error, what).toMatchObject({ code: 'Unauthorized' });
        if (answer.error) expect(answer.error.message).not.toContain(API_KEY);
      }),
      { numRuns: runs, seed: settings.seed },
    );
  });

  it('runs a valid execution body exactly as sent and refuses any other with a 400 that names the field', async () => {
    const runs = settings.runs(0.5);
    runsByProperty['execution bodies'] = runs;
    const executionRoutes = ROUTES.filter((route) => route.body === 'execution');
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...executionRoutes),
        fc.oneof(validExecutionBody(true).map((valid) => ({ ...valid, wrapped: true })), validExecutionBody(false).map((valid) => ({ ...valid, wrapped: false })), invalidExecutionBody),
        async (route, body) => {
          const identifier = freshIdentifier();
          // Gen-2 bodies are flat; only the gen-1 and legacy routes accept the "properties" wrapper.
          if (route.path === '/executions' && typeof body === 'object' && 'wrapped' in body && body.wrapped) body = { ...body, body: (body.body as { properties: unknown }).properties };
          const version = route.path === '/executions' ? '2025-10-02-preview' : '2024-02-02-preview';
          const text = typeof body === 'object' && 'code' in body ? JSON.stringify(body.body) : body;
          const answer = await send(route.name, `${route.path}?api-version=${version}&identifier=${identifier}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: text }, [identifier]);
          if (typeof body === 'object' && 'code' in body) {
            expect(answer.status, `valid body ${text.slice(0, 200)}`).toBe(200);
          } else if (answer.status >= 400) {
            expect(answer.status).toBe(400);
            expect(answer.error?.target, `a refused body names what is wrong: ${answer.error?.message}`).toBeTruthy();
          }
          expectOwnExecution(route, answer, codeOf(text), identifier);
          await manager.deleteSession(identifier);
        },
      ),
      { numRuns: runs, seed: settings.seed },
    );
  });

  it('stores an uploaded file under a name inside /mnt/data and gives back exactly its bytes, or refuses the name and keeps nothing', async () => {
    const runs = settings.runs(0.5);
    runsByProperty['upload file names'] = runs;
    const uploads = ROUTES.filter((route) => route.body === 'multipart');
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...uploads), multipartPart.filter((part) => part.filename !== undefined), async (route, part) => {
        const identifier = freshIdentifier();
        const version = route.path === '/files' ? '2025-10-02-preview' : '2024-02-02-preview';
        const upload = await send(route.name, `${route.path}?api-version=${version}&identifier=${identifier}`, { method: 'POST', headers: { 'content-type': part.contentType! }, body: part.body }, [identifier, part.filename]);
        const stored = manager.getSession(identifier) ? await manager.listFiles(identifier, { recursive: true }) : [];
        if (upload.status !== 200) {
          expect(upload.status).toBe(400);
          expect(['file', 'name']).toContain(upload.error?.target);
          expect(stored, 'a refused upload keeps nothing').toEqual([]);
          return;
        }
        expect(stored).toHaveLength(1);
        const name = stored[0]!.name;
        expect(name.split('/'), `stored name ${name}`).not.toContain('..');
        expect(name.startsWith('/')).toBe(false);
        const json = upload.json as Record<string, unknown>;
        const reported =
          route.path === '/files'
            ? [json.directory, json.name].filter(Boolean).join('/')
            : route.path === '/files/upload'
              ? ((json.value as { properties: { filename: string } }[])[0]!.properties.filename)
              : ((json.$values as { filename: string }[])[0]!.filename);
        expect(reported).toBe(name);
        const download = await send('GET files/{name}/content', `/files/${name.split('/').map(encodeURIComponent).join('/')}/content?api-version=2025-10-02-preview&identifier=${identifier}`, { method: 'GET' }, [identifier, name]);
        expect(download.status).toBe(200);
        expect(download.bytes.equals(Buffer.from(part.data!)), 'downloaded bytes are the uploaded ones').toBe(true);
        await manager.deleteSession(identifier);
      }),
      { numRuns: runs, seed: settings.seed },
    );
  });

  it('answers mangled multipart bodies with 200 or a JSON 400/413, and a 200 only for files it stored', async () => {
    const runs = settings.runs(0.5);
    runsByProperty['mangled multipart'] = runs;
    const uploads = ROUTES.filter((route) => route.body === 'multipart');
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...uploads), multipartPart, async (route, part) => {
        const identifier = freshIdentifier();
        const version = route.path === '/files' ? '2025-10-02-preview' : '2024-08-02-preview';
        const headers: Record<string, string> = part.contentType === undefined ? {} : { 'content-type': part.contentType };
        const answer = await send(route.name, `${route.path}?api-version=${version}&identifier=${identifier}`, { method: 'POST', headers, body: part.body }, [identifier]);
        const stored = manager.getSession(identifier) ? await manager.listFiles(identifier, { recursive: true }) : [];
        if (answer.status === 200) expect(stored.length).toBeGreaterThan(0);
        else {
          expect([400, 413]).toContain(answer.status);
          expect(stored, 'a refused upload keeps nothing').toEqual([]);
        }
        await manager.deleteSession(identifier);
      }),
      { numRuns: runs, seed: settings.seed },
    );
  });
});

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
