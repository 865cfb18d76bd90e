/**
 * Installs OpenTelemetry globally: a tracer provider with the given span processors, a meter
 * provider with the given readers, async-context propagation (so a span started inside a tool
 * call is its child) and W3C trace-context headers. The SDK is loaded only here, so a process
 * that never registers telemetry pays for the API's no-ops only.
 */
import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, type IMetricReader } from '@opentelemetry/sdk-metrics';
import { TracerProvider, type SpanProcessor } from '@opentelemetry/sdk-trace';
import { INSTRUMENTATION_VERSION } from './attributes.js';

export interface TelemetryRegistration {
  spanProcessors?: SpanProcessor[];
  metricReaders?: IMetricReader[];
  /** `service.name` of the exported resource; default `tidepool`. */
  serviceName?: string;
}

export interface RegisteredTelemetry {
  tracerProvider: TracerProvider;
  meterProvider: MeterProvider;
  /** Flushes what is buffered and removes the global providers again. */
  shutdown(): Promise<void>;
}

export function registerTelemetry(options: TelemetryRegistration): RegisteredTelemetry {
  const resource = resourceFromAttributes({ 'service.name': options.serviceName ?? 'tidepool', 'service.version': INSTRUMENTATION_VERSION });
  const tracerProvider = new TracerProvider({ resource, spanProcessors: options.spanProcessors ?? [] });
  const meterProvider = new MeterProvider({ resource, readers: options.metricReaders ?? [] });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(tracerProvider);
  metrics.setGlobalMeterProvider(meterProvider);
  return {
    tracerProvider,
    meterProvider,
    async shutdown() {
      await Promise.allSettled([tracerProvider.shutdown(), meterProvider.shutdown()]);
      trace.disable();
      metrics.disable();
      propagation.disable();
      context.disable();
    },
  };
}
