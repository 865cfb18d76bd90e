/**
 * One SERVER span per pool request, joined to the caller's trace when it sent `traceparent`:
 * operation, method, status, hashed session identifier and duration. Never the code, the file
 * bytes or the Authorization header. Until something registers OpenTelemetry the middleware only
 * passes the request on; with a provider that does not record, the attributes (a SHA-256 of the
 * identifier among them) are not computed.
 */
import type { MiddlewareHandler } from 'hono';
import { ATTR, elapsedMs, hashIdentifier } from '../../telemetry/attributes.js';
import { recorders } from '../../telemetry/recorders.js';
import type { PoolEnv } from './context.js';

export function requestTelemetry(): MiddlewareHandler<PoolEnv> {
  return async (c, next) => {
    const loading = recorders();
    if (!loading) return next();
    const recorded = await loading;
    const span = recorded.startServerSpan(`pool ${c.req.method}`, { [ATTR.httpMethod]: c.req.method, [ATTR.backend]: 'Sandbox-Pool' }, (name) => c.req.header(name));
    if (!span.isRecording()) {
      // Ended all the same, as every started span must be; a non-recording one does nothing more.
      try {
        return await next();
      } finally {
        span.end();
      }
    }
    const startedAt = performance.now();
    try {
      await next();
    } finally {
      const operation = c.get('operation');
      const identifier = c.get('identifier');
      const status = c.res.status;
      span.updateName(`pool ${operation}`);
      span.setAttributes({ [ATTR.poolOperation]: operation, [ATTR.httpStatus]: status, [ATTR.durationMs]: elapsedMs(startedAt) });
      if (identifier !== undefined) span.setAttribute(ATTR.sessionHash, hashIdentifier(identifier));
      if (status >= 500) recorded.markFailed(span);
      span.end();
    }
  };
}
