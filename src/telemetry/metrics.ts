/**
 * Execution and live-session metrics. Instruments are looked up from the global meter provider
 * on use (the metrics API, unlike tracing, has no proxy): before a provider is registered they
 * are the API's no-ops, afterwards the real ones.
 */
import { metrics, type Counter, type Histogram, type MeterProvider, type UpDownCounter } from '@opentelemetry/api';
import { ATTR, INSTRUMENTATION_NAME, INSTRUMENTATION_VERSION } from './attributes.js';

interface Instruments {
  executions: Counter;
  executionDuration: Histogram;
  liveSessions: UpDownCounter;
}

let cached: { provider: MeterProvider; instruments: Instruments } | undefined;

function instruments(): Instruments {
  const provider = metrics.getMeterProvider();
  if (cached?.provider === provider) return cached.instruments;
  const meter = provider.getMeter(INSTRUMENTATION_NAME, INSTRUMENTATION_VERSION);
  const created: Instruments = {
    executions: meter.createCounter('tidepool.executions', { description: 'Cells executed, by backend and outcome.' }),
    executionDuration: meter.createHistogram('tidepool.execution.duration', { description: 'Time to run one cell, as seen by the caller.', unit: 'ms' }),
    liveSessions: meter.createUpDownCounter('tidepool.sessions.live', { description: 'Sandbox sessions opened and not yet closed.' }),
  };
  cached = { provider, instruments: created };
  return created;
}

export function recordExecution(backend: string, status: string, durationMs: number): void {
  const { executions, executionDuration } = instruments();
  executions.add(1, { [ATTR.backend]: backend, [ATTR.status]: status });
  executionDuration.record(durationMs, { [ATTR.backend]: backend, [ATTR.status]: status });
}

export function recordSessionOpened(backend: string): void {
  instruments().liveSessions.add(1, { [ATTR.backend]: backend });
}

export function recordSessionClosed(backend: string): void {
  instruments().liveSessions.add(-1, { [ATTR.backend]: backend });
}
