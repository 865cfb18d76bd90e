/**
 * Per-request bookkeeping: a trace id (returned as x-ms-request-id and in error bodies), one pino
 * line, the request counter, and the audit record. Never logs code or file bytes.
 */
import { randomUUID } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { PoolAppDeps, PoolEnv } from './context.js';
import { factsOf } from './response-facts.js';
import { normalisePoolPath, rawPathOf } from './paths.js';

export function requestLog(deps: PoolAppDeps): MiddlewareHandler<PoolEnv> {
  return async (c, next) => {
    const started = performance.now();
    const traceId = randomUUID();
    const { poolName, prefix } = normalisePoolPath(rawPathOf(c.req.url));
    c.set('traceId', traceId);
    c.set('operation', 'unknown');
    c.set('prefix', prefix);
    if (poolName !== undefined) c.set('poolName', poolName);
    await next();
    // A JSON answer from sendJson carries the trace id already and says its size; only other
    // answers (errors, files, empty bodies) have their headers read and stamped here.
    const facts = factsOf(c.res);
    if (!facts) c.res.headers.set('x-ms-request-id', traceId);
    const durationMs = Math.round((performance.now() - started) * 1000) / 1000;
    const status = c.res.status;
    const operation = c.get('operation');
    const bytesIn = c.get('bytesIn') ?? numberHeader(c.req.header('content-length'));
    const bytesOut = facts ? facts.bytesOut : numberHeader(c.res.headers.get('content-length') ?? undefined);
    const errorCode = facts ? undefined : (c.res.headers.get('x-ms-error-code') ?? undefined);
    const identifier = c.get('identifier');
    deps.metrics.request(operation, status);
    const level = status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
    // The line is built only when its level is logged (by default a pool logs warnings and up).
    if (deps.logger.isLevelEnabled(level)) {
      deps.logger[level]({ traceId, method: c.req.method, path: c.req.path, operation, identifier, status, errorCode, authFailure: c.get('authFailure'), durationMs }, 'request');
    }
    deps.audit?.write({
      time: new Date().toISOString(),
      traceId,
      method: c.req.method,
      path: c.req.path,
      operation,
      ...(identifier !== undefined && { identifier }),
      status,
      ...(errorCode !== undefined && { errorCode }),
      durationMs,
      bytesIn,
      bytesOut,
      ...(remoteAddress(c.env) !== undefined && { remoteAddress: remoteAddress(c.env) }),
      ...(deps.auditIncludeContent && c.get('code') !== undefined && { code: c.get('code') }),
    });
  };
}

/** The client's address when running under @hono/node-server (absent for in-process app.request()). */
export function remoteAddress(env: unknown): string | undefined {
  return (env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming?.socket?.remoteAddress;
}

function numberHeader(value: string | undefined): number {
  const parsed = Number(value ?? 0);
  return Number.isFinite(parsed) ? parsed : 0;
}
