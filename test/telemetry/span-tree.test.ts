/**
 * One research_weather call on the pool, traced into an in-memory exporter: the tool span holds
 * the execution span, which holds the session allocation and the pool's own request spans (joined
 * through traceparent); attributes name the backend and a hashed identifier, never code or secrets.
 */
import { randomUUID } from 'node:crypto';
import { AggregationTemporality, InMemoryMetricExporter, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createSandbox } from '../../src/sandbox/factory.js';
import type { Sandbox } from '../../src/sandbox/types.js';
import { hashIdentifier } from '../../src/telemetry/attributes.js';
import { registerTelemetry, type RegisteredTelemetry } from '../../src/telemetry/register.js';
import { runAgentTool } from '../../src/tools/ai-sdk.js';
import type { OpenMeteoReplay } from '../support/open-meteo-replay.js';
import { startWeatherReplay, TODAY } from '../weather/helpers.js';

const exporter = new InMemorySpanExporter();
const reader = new PeriodicExportingMetricReader({ exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE), exportIntervalMillis: 3_600_000 });
let telemetry: RegisteredTelemetry;
let replay: OpenMeteoReplay;
let sandbox: Sandbox;

beforeAll(async () => {
  telemetry = registerTelemetry({ spanProcessors: [new SimpleSpanProcessor({ exporter })], metricReaders: [reader] });
  replay = await startWeatherReplay();
  sandbox = createSandbox('pool', { env: {}, pool: { pool: { egressAllow: replay.egressAllow, readySessions: 1 } } });
}, 120_000);

afterAll(async () => {
  await sandbox?.close();
  await replay?.close();
  await telemetry?.shutdown();
});

test('the span tree of one research_weather call on the pool', async () => {
  const sessionId = randomUUID();
  const output = await runAgentTool('research_weather', { destination: 'Tokyo' }, { sandbox, sessionId, weather: { today: TODAY, openMeteo: replay.options() } });
  expect(output.text).toContain('Tokyo');
  expect(replay.unknown).toEqual([]);

  const spans = exporter.getFinishedSpans();
  const byId = new Map(spans.map((span) => [span.spanContext().spanId, span]));
  const parentOf = (span: ReadableSpan) => byId.get(span.parentSpanContext?.spanId ?? '');
  const named = (name: string) => spans.filter((span) => span.name === name);

  const [tool] = named('execute_tool research_weather');
  expect(tool).toBeDefined();
  expect(parentOf(tool!)).toBeUndefined();
  expect(tool!.attributes).toMatchObject({ 'gen_ai.tool.name': 'research_weather', 'tidepool.backend': 'Sandbox-Pool', 'tidepool.session.hash': hashIdentifier(sessionId) });
  expect(spans.every((span) => span.spanContext().traceId === tool!.spanContext().traceId)).toBe(true);

  const executions = named('tidepool.execute');
  expect(executions.length).toBeGreaterThanOrEqual(1);
  for (const execution of executions) {
    expect(parentOf(execution)).toBe(tool);
    expect(execution.attributes).toMatchObject({ 'tidepool.backend': 'Sandbox-Pool', 'tidepool.language': 'python', 'tidepool.status': 'success', 'tidepool.session.hash': hashIdentifier(sessionId) });
    expect(execution.attributes['tidepool.duration_ms']).toBeGreaterThan(0);
  }

  const [allocation] = named('tidepool.session.allocate');
  expect(allocation).toBeDefined();
  expect(parentOf(allocation!)?.name).toBe('tidepool.execute');
  expect(allocation!.attributes['tidepool.session.reused']).toBe(false);

  // The pool's server spans arrive through the traceparent header the client sent.
  const poolSpans = spans.filter((span) => span.name.startsWith('pool '));
  expect(poolSpans.length).toBeGreaterThanOrEqual(1);
  for (const span of poolSpans) {
    expect(parentOf(span)?.name).toBe('tidepool.execute');
    expect(span.attributes['http.response.status_code']).toBeLessThan(300);
    expect(span.attributes['tidepool.session.hash']).toBe(hashIdentifier(sessionId));
    expect(typeof span.attributes['tidepool.pool.operation']).toBe('string');
  }

  // Nothing that identifies the session or shows the program leaks into any attribute.
  const values = spans.flatMap((span) => Object.values(span.attributes).map(String));
  expect(values.filter((value) => value.includes(sessionId) || value.includes('tidepool_weather_main') || value.includes('Tokyo'))).toEqual([]);

  const { resourceMetrics } = await reader.collect();
  const metrics = resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics);
  const executed = metrics.find((metric) => metric.descriptor.name === 'tidepool.executions');
  const total = (executed?.dataPoints ?? []).reduce((sum, point) => sum + Number(point.value), 0);
  expect(total).toBe(executions.length);
  const live = metrics.find((metric) => metric.descriptor.name === 'tidepool.sessions.live');
  expect(live?.dataPoints.map((point) => point.value)).toEqual([1]);
});
