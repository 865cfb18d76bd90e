/**
 * Tidepool's spans and metrics, loaded only once something has registered OpenTelemetry: until then
 * nothing records, so a sandbox call or a tool call costs one property lookup and the OpenTelemetry
 * API is never loaded. A provider registered later is picked up by the next call.
 */
import type * as Metrics from './metrics.js';
import type * as Spans from './spans.js';

export type Recorders = typeof Spans & typeof Metrics;

/**
 * Every copy of `@opentelemetry/api` 1.x keeps what is registered globally (tracer and meter
 * providers, propagators, context managers) on `globalThis` under this symbol, and creates it only
 * when something registers. Its absence means no span or metric could be recorded.
 */
const OPENTELEMETRY_API_GLOBAL = Symbol.for('opentelemetry.js.api.1');

let loading: Promise<Recorders> | undefined;

/** The recorders, or undefined when nothing has registered OpenTelemetry (then there is nothing to record). */
export function recorders(): Promise<Recorders> | undefined {
  if ((globalThis as Record<symbol, unknown>)[OPENTELEMETRY_API_GLOBAL] === undefined) return undefined;
  loading ??= Promise.all([import('./spans.js'), import('./metrics.js')]).then(([spans, metrics]) => ({ ...spans, ...metrics }));
  return loading;
}
