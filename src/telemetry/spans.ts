/** Runs a function inside an active span, ending it with the function's outcome. */
import { context, propagation, SpanKind as SpanKindValue, SpanStatusCode, trace, type Attributes, type Span, type SpanKind, type Tracer } from '@opentelemetry/api';
import { ATTR, elapsedMs, INSTRUMENTATION_NAME, INSTRUMENTATION_VERSION } from './attributes.js';

/** A global lookup each time, so a provider registered after this module loaded is still used. */
export function tidepoolTracer(): Tracer {
  return trace.getTracer(INSTRUMENTATION_NAME, INSTRUMENTATION_VERSION);
}

export async function inSpan<T>(name: string, attributes: Attributes, fn: (span: Span) => Promise<T>, kind?: SpanKind): Promise<T> {
  return tidepoolTracer().startActiveSpan(name, { attributes, ...(kind !== undefined && { kind }) }, async (span) => {
    const startedAt = performance.now();
    try {
      return await fn(span);
    } catch (error) {
      span.recordException(errorSummary(error));
      span.setStatus({ code: SpanStatusCode.ERROR, message: errorSummary(error).message });
      throw error;
    } finally {
      span.setAttribute(ATTR.durationMs, elapsedMs(startedAt));
      span.end();
    }
  });
}

/**
 * Only the error's class and message reach the span: a stack could name host paths, and some
 * messages quote what a user sent, so they are cut short too.
 */
function errorSummary(error: unknown): { name: string; message: string } {
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  return { name, message: message.length > 300 ? `${message.slice(0, 300)}…` : message };
}

/** A finished span for something measured elsewhere, e.g. from lifecycle timings. */
export function recordPastSpan(name: string, attributes: Attributes, startTime: Date, endTime: Date): void {
  const span = tidepoolTracer().startSpan(name, { attributes, startTime }, context.active());
  span.end(endTime);
}


/** Adds `traceparent`/`tracestate` for the active span to outgoing request headers (a pool then joins the trace). */
export function injectTraceContext(headers: Record<string, string>): void {
  propagation.inject(context.active(), headers);
}

/**
 * A SERVER span for an incoming request, joined to the caller's trace when its headers carry
 * `traceparent`/`tracestate` (W3C trace context; a no-op until a propagator is registered).
 */
export function startServerSpan(name: string, attributes: Attributes, getHeader: (name: string) => string | undefined): Span {
  const parent = propagation.extract(context.active(), undefined, {
    get: (_carrier, key) => getHeader(key),
    keys: () => ['traceparent', 'tracestate'],
  });
  return tidepoolTracer().startSpan(name, { kind: SpanKindValue.SERVER, attributes }, parent);
}

/** Marks a span as failed without saying why (a server-side failure's detail stays in the log). */
export function markFailed(span: Span): void {
  span.setStatus({ code: SpanStatusCode.ERROR });
}
