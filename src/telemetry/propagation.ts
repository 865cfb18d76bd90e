/**
 * W3C trace context across the pool's HTTP API, so a pool request's span joins the trace of the
 * execution that sent it (the sending side is `injectTraceContext` in spans.ts). A no-op until a
 * propagator is registered (see register.ts).
 */
import { context, propagation, type Context } from '@opentelemetry/api';

/** The caller's trace context from incoming request headers. */
export function extractTraceContext(getHeader: (name: string) => string | undefined): Context {
  return propagation.extract(context.active(), undefined, {
    get: (_carrier, key) => getHeader(key),
    keys: () => ['traceparent', 'tracestate'],
  });
}
