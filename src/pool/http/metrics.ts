/** Prometheus metrics for one pool server (its own registry, so several servers can share a process). */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { SessionManager } from '../types.js';
import type { ConnectionRejection } from './connection-limits.js';
import type { ExecutionStore } from './execution-store.js';

export type ExecutionMetricStatus = 'succeeded' | 'failed' | 'timed_out' | 'error';

export class PoolMetrics {
  readonly registry = new Registry();
  readonly #executions: Counter<'status'>;
  readonly #executionSeconds: Histogram<'status'>;
  readonly #requests: Counter<'operation' | 'status'>;
  readonly #rejectedConnections: Counter<'reason'>;

  constructor(sessionManager: SessionManager, executions?: ExecutionStore) {
    const registers = [this.registry];
    new Gauge({
      name: 'tidepool_pool_sessions_live',
      help: 'Sessions allocated to an identifier and not yet ended.',
      registers,
      collect() {
        this.set(sessionManager.stats().live);
      },
    });
    new Gauge({
      name: 'tidepool_pool_sessions_ready',
      help: 'Pre-warmed sessions waiting for an identifier.',
      registers,
      collect() {
        this.set(sessionManager.stats().ready);
      },
    });
    new Gauge({
      name: 'tidepool_pool_sessions_max',
      help: 'The most sessions the pool allocates at once (--max-sessions).',
      registers,
      collect() {
        this.set(sessionManager.stats().maxSessions);
      },
    });
    this.#executions = new Counter({ name: 'tidepool_pool_executions_total', help: 'Executions by outcome.', labelNames: ['status'], registers });
    this.#executionSeconds = new Histogram({
      name: 'tidepool_pool_execution_duration_seconds',
      help: 'Wall time of executions as the HTTP layer saw them (queueing and allocation included).',
      labelNames: ['status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 220],
      registers,
    });
    this.#requests = new Counter({ name: 'tidepool_pool_http_requests_total', help: 'HTTP requests by operation and status code.', labelNames: ['operation', 'status'], registers });
    this.#rejectedConnections = new Counter({
      name: 'tidepool_pool_connections_rejected_total',
      help: 'Connections closed on accept because the total (--max-connections) or per-client (--max-connections-per-client) cap was reached.',
      labelNames: ['reason'],
      registers,
    });
    if (executions) {
      new Gauge({
        name: 'tidepool_pool_result_store_bytes',
        help: 'Bytes of execution results kept for GET executions/{id} (at most --result-store-mb).',
        registers,
        collect() {
          this.set(executions.bytes);
        },
      });
      new Gauge({
        name: 'tidepool_pool_result_store_evictions',
        help: 'Execution results evicted so far to keep the store under --result-store-mb.',
        registers,
        collect() {
          this.set(executions.evictions);
        },
      });
    }
    collectDefaultMetrics({ register: this.registry, prefix: 'tidepool_pool_' });
  }

  execution(status: ExecutionMetricStatus, seconds: number): void {
    this.#executions.inc({ status });
    this.#executionSeconds.observe({ status }, seconds);
  }

  connectionRejected(reason: ConnectionRejection): void {
    this.#rejectedConnections.inc({ reason });
  }

  request(operation: string, status: number): void {
    this.#requests.inc({ operation, status: String(status) });
  }
}
