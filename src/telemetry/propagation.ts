/**
 * W3C trace context across the pool's HTTP API, so a pool request's span joins the trace of the
 * execution that sent it. Both are no-ops until a propagator is registered (see register.ts).
 */
import { context, propagation, type Context } from '@opentelemetry/api';

/** Adds `traceparent`/`tracestate` for the active span to outgoing request headers. */
export function injectTraceContext(headers: Record<string, string>): void {
  propagation.inject(context.active(), headers);
}

/** The caller's trace context from incoming request headers. */
export function extractTraceContext(getHeader: (name: string) => string | undefined): Context {
  return propagation.extract(context.active(), undefined, {
    get: (_carrier, key) => getHeader(key),
    keys: () => ['traceparent', 'tracestate'],
  });
}
