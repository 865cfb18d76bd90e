/**
 * The pool's HTTP API as one Hono app, testable in-process with `app.request()`.
 * Paths are normalised before routing (pool prefix, `//`, one trailing `/`), so every route is
 * written once and answers at the root and under /subscriptions/…/sessionPools/{name}.
 */
import { Hono } from 'hono';
import { DEFAULT_POOL_SERVER_LIMITS } from '../settings.js';
import { PoolError } from '../types.js';
import { bearerAuth, keyAuthenticator } from './auth.js';
import { bodyLimit } from './body-limit.js';
import { CodeBudget } from './code-budget.js';
import { browserGuard } from './browser-guard.js';
import { sendJson, type PoolAppDeps, type PoolEnv } from './context.js';
import { errorBody, PoolApiError, scrubDetail, toApiError } from './errors.js';
import { normalisePoolPath, rawPathOf } from './paths.js';
import { requestLog } from './request-log.js';
import { requestTelemetry } from './telemetry.js';
import { registerExecutionRoutes } from './routes/executions.js';
import { registerFileRoutes } from './routes/files.js';
import { registerLegacyRoutes } from './routes/legacy.js';
import { registerReadinessRoute } from './routes/readiness.js';
import { registerSessionRoutes } from './routes/sessions.js';

const OPERATIONS_HINT =
  'Supported: POST code/execute, POST files/upload, GET files, GET files/content/{name} (api-version 2024-02-02-preview or 2024-08-02-preview); ' +
  'POST executions, GET executions/{id}, POST/GET files, GET files/{name}[/content], DELETE files/{name}, GET/DELETE session, GET listSessions, GET metadata, POST .management/{getSession,listSessions,stopSession} (2024-10-02-preview and later); ' +
  'the deprecated python/execute, python/uploadFile, python/files and python/downloadFile unless the pool runs with --legacy-api off.';

export function createPoolApp(deps: PoolAppDeps): Hono<PoolEnv> {
  const app = new Hono<PoolEnv>({ getPath: (request) => normalisePoolPath(rawPathOf(request.url)).path });

  app.use('*', requestTelemetry());
  app.use('*', requestLog(deps));
  app.use('*', bodyLimit());

  // Open to anyone, so it says only that the server answers; session counts need the key.
  const authenticator = deps.authenticator ?? keyAuthenticator(deps.apiKeys);
  app.get('/healthz', async (c) => {
    c.set('operation', 'healthz');
    if (!(await authenticator.check(c.req.header('authorization'))).ok) return sendJson(c, 200, { status: 'ok' });
    return sendJson(c, 200, { status: 'ok', sessions: deps.sessionManager.stats() });
  });

  registerReadinessRoute(app, deps);

  // Health and readiness say nothing a web page could use; everything after this needs a key or a loopback client.
  app.use('*', browserGuard(authenticator));
  app.use('*', bearerAuth(authenticator));
  if (deps.drain) app.use('*', deps.drain.gate(deps.sessionManager));

  app.get('/metrics', async (c) => {
    c.set('operation', 'metrics');
    const text = await deps.metrics.registry.metrics();
    return new Response(text, { headers: { 'content-type': deps.metrics.registry.contentType, 'content-length': String(Buffer.byteLength(text)) } });
  });

  const codeBudget = deps.codeBudget ?? new CodeBudget(DEFAULT_POOL_SERVER_LIMITS.pendingCodeMb * 1024 * 1024);
  registerLegacyRoutes(app, deps, codeBudget);
  registerExecutionRoutes(app, deps, codeBudget);
  registerFileRoutes(app, deps);
  registerSessionRoutes(app, deps);

  app.notFound((c) => {
    c.set('operation', 'not_found');
    const error = new PoolApiError(404, 'NotFound', `No operation ${c.req.method} ${c.req.path}. ${OPERATIONS_HINT}`);
    return renderError(error, c.get('traceId'));
  });

  app.onError((error, c) => {
    const apiError = toApiError(error);
    // The answer carries a fixed or scrubbed message; the original, with its stack, is kept here.
    if (apiError.status >= 500) deps.logger.error({ err: error, traceId: c.get('traceId') }, 'request failed');
    else if (error instanceof PoolError && !(error instanceof PoolApiError) && scrubDetail(error.message) !== error.message.trim()) {
      deps.logger.warn({ err: error, traceId: c.get('traceId') }, 'request refused by the runtime (details left out of the answer)');
    }
    return renderError(apiError, c.get('traceId'));
  });

  return app;
}

function renderError(error: PoolApiError, traceId: string): Response {
  const text = JSON.stringify(errorBody(error, traceId));
  return new Response(text, {
    status: error.status,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(text)),
      'x-ms-error-code': error.azureCode,
      ...error.headers,
    },
  });
}
