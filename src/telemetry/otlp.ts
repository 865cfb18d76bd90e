/**
 * Exports traces and metrics over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set, and does
 * nothing at all otherwise: the SDK and exporters are imported only in the first case.
 */
import type { Env } from '../config/settings.js';
import { ConfigurationError } from '../errors.js';
import type { RegisteredTelemetry } from './register.js';

/** How often metrics are pushed; OTEL_METRIC_EXPORT_INTERVAL (ms) overrides it, as the spec says. */
const DEFAULT_METRIC_INTERVAL_MS = 60_000;

export async function startTelemetryFromEnv(env: Env = process.env): Promise<RegisteredTelemetry | undefined> {
  const endpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  if (!endpoint) return undefined;
  const base = parseEndpoint(endpoint);
  const interval = parseInterval(env.OTEL_METRIC_EXPORT_INTERVAL);
  const [{ registerTelemetry }, { BatchSpanProcessor }, { PeriodicExportingMetricReader }, { OTLPTraceExporter }, { OTLPMetricExporter }] = await Promise.all([
    import('./register.js'),
    import('@opentelemetry/sdk-trace'),
    import('@opentelemetry/sdk-metrics'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/exporter-metrics-otlp-http'),
  ]);
  return registerTelemetry({
    serviceName: env.OTEL_SERVICE_NAME?.trim() || 'tidepool',
    spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: `${base}/v1/traces` }) })],
    metricReaders: [new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter({ url: `${base}/v1/metrics` }), exportIntervalMillis: interval })],
  });
}

function parseEndpoint(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigurationError(`OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL such as http://127.0.0.1:4318, got "${value}". Fix or unset it.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigurationError(`OTEL_EXPORTER_OTLP_ENDPOINT must use http or https (Tidepool exports OTLP over HTTP), got "${url.protocol}". Use e.g. http://127.0.0.1:4318.`);
  }
  return value.replace(/\/+$/, '');
}

function parseInterval(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return DEFAULT_METRIC_INTERVAL_MS;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 100) {
    throw new ConfigurationError(`OTEL_METRIC_EXPORT_INTERVAL must be a whole number of milliseconds (at least 100), got "${value}".`);
  }
  return parsed;
}
