/**
 * Session and pool management (gen-2 2025-02-02-preview and later, plus the `.management/…`
 * routes the 2026 docs show). Field-name conflicts between spec and docs are answered with the
 * union: `expireAt` + `expiresAt`, and `sessions` + `value` + `count`.
 */
import type { Hono } from 'hono';
import type { PoolSessionInfo } from '../../types.js';
import { sendEmpty, sendJson, type PoolAppDeps, type PoolContext, type PoolEnv } from '../context.js';
import { PoolApiError, validationError } from '../errors.js';
import { queryParam, requireApiVersion, requireIdentifier } from '../validation.js';
import type { PoolContainerType } from '../../types.js';

/** The service's name for each kind of pool. */
const SERVICE_CONTAINER_TYPES: Record<PoolContainerType, string> = { python: 'PythonLTS', node: 'NodeLTS', shell: 'Shell' };

/** Azure pages session lists by 300. */
export const SESSIONS_PAGE_SIZE = 300;

export function registerSessionRoutes(app: Hono<PoolEnv>, deps: PoolAppDeps): void {
  const manager = deps.sessionManager;

  const getSession = (c: PoolContext) => {
    c.set('operation', 'session/get');
    requireApiVersion(c.req.url);
    return sendJson(c, 200, sessionBody(knownSession(c, deps)));
  };
  app.get('/session', getSession);
  app.post('/.management/getSession', getSession);

  app.delete('/session', async (c) => {
    c.set('operation', 'session/delete');
    requireApiVersion(c.req.url);
    const identifier = identify(c);
    // Idempotent: LangChain deletes on close even when the session was never used.
    await manager.deleteSession(identifier);
    deps.executions.forgetSession(identifier);
    return sendEmpty(204);
  });

  app.post('/.management/stopSession', async (c) => {
    c.set('operation', 'session/stop');
    requireApiVersion(c.req.url);
    const info = knownSession(c, deps);
    await manager.deleteSession(info.identifier);
    deps.executions.forgetSession(info.identifier);
    const text = `Session ${info.identifier} in session pool ${c.get('poolName') ?? 'tidepool'} stopped.`;
    return new Response(text, { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8', 'content-length': String(Buffer.byteLength(text)) } });
  });

  const listSessions = (c: PoolContext) => {
    c.set('operation', 'session/list');
    requireApiVersion(c.req.url);
    const skip = skipParam(queryParam(c.req.url, 'skip'));
    const all = manager.listSessions().sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
    const page = all.slice(skip, skip + SESSIONS_PAGE_SIZE).map(sessionBody);
    let nextLink: string | null = null;
    if (skip + SESSIONS_PAGE_SIZE < all.length) {
      const url = new URL(c.req.url);
      url.searchParams.set('skip', String(skip + SESSIONS_PAGE_SIZE));
      nextLink = url.toString();
    }
    return sendJson(c, 200, { sessions: page, value: page, count: all.length, nextLink });
  };
  app.get('/listSessions', listSessions);
  app.post('/.management/listSessions', listSessions);

  app.get('/metadata', async (c) => {
    c.set('operation', 'metadata');
    requireApiVersion(c.req.url);
    const metadata = await manager.metadata();
    const javascript = deps.settings.containerType === 'node';
    const language = metadata.runtimes.find((runtime) => runtime.name === (javascript ? 'node' : 'python'));
    return sendJson(c, 200, {
      // The service's name for the pool's kind of session.
      containerType: SERVICE_CONTAINER_TYPES[deps.settings.containerType],
      runtimes: metadata.runtimes,
      preInstalledPackages: metadata.preInstalledPackages,
      createdAt: deps.startedAt.toISOString(),
      lastUpdatedAt: deps.startedAt.toISOString(),
      jupyterKernel: {
        name: javascript ? 'tidepool-javascript' : 'tidepool-python',
        version: language?.version ?? 'unknown',
        projectUrl: '',
        description: javascript
          ? 'Tidepool kernel: one long-lived Node.js process per session with notebook-style cells (last expression is the result, top-level await).'
          : 'Tidepool kernel: one long-lived Python interpreter per session with notebook-style cells (last expression is the result).',
      },
    });
  });
}

function identify(c: PoolContext): string {
  const identifier = requireIdentifier(c.req.url);
  c.set('identifier', identifier);
  return identifier;
}

function knownSession(c: PoolContext, deps: PoolAppDeps): PoolSessionInfo {
  const identifier = identify(c);
  const info = deps.sessionManager.getSession(identifier);
  if (!info) {
    throw new PoolApiError(400, 'SessionWithIdentifierNotFound', `No session with identifier "${identifier}" exists in this pool (it was never used, was deleted, or expired after its cooldown). Any execution or file request with this identifier creates it.`, {
      target: 'identifier',
    });
  }
  return info;
}

function skipParam(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 0;
  const skip = Number(raw);
  if (!Number.isInteger(skip) || skip < 0) throw validationError(`The skip query parameter must be a whole number of 0 or more, got "${raw}".`, 'skip');
  return skip;
}

export function sessionBody(info: PoolSessionInfo): Record<string, string> {
  const expires = info.expiresAt.toISOString();
  return {
    identifier: info.identifier,
    createdAt: info.createdAt.toISOString(),
    lastAccessedAt: info.lastAccessedAt.toISOString(),
    expireAt: expires,
    expiresAt: expires,
    etag: info.etag,
  };
}
