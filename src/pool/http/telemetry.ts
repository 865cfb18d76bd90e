/**
 * One SERVER span per pool request, joined to the caller's trace when it sent `traceparent`:
 * operation, method, status, hashed session identifier and duration. Never the code, the file
 * bytes or the Authorization header. With no tracer provider registered the span is a no-op, and
 * the attributes (a SHA-256 of the identifier among them) are not computed at all.
 */
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { MiddlewareHandler } from 'hono';
import { ATTR, elapsedMs, hashIdentifier } from '../../telemetry/attributes.js';
import { tidepoolTracer } from '../../telemetry/spans.js';
import { extractTraceContext } from '../../telemetry/propagation.js';
import type { PoolEnv } from './context.js';

export function requestTelemetry(): MiddlewareHandler<PoolEnv> {
  return async (c, next) => {
    const parent = extractTraceContext((name) => c.req.header(name));
    const span = tidepoolTracer().startSpan(`pool ${c.req.method}`, { kind: SpanKind.SERVER, attributes: { [ATTR.httpMethod]: c.req.method, [ATTR.backend]: 'Sandbox-Pool' } }, parent);
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
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }
  };
}
