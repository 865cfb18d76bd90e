/** Runs one planned execution on the runtime and records it in the metrics. */
import type { ExecuteOutcome } from '../types.js';
import type { PoolAppDeps } from './context.js';
import type { ExecutionPlan } from './execution-plan.js';

export async function runExecution(deps: PoolAppDeps, identifier: string, plan: ExecutionPlan, signal?: AbortSignal): Promise<ExecuteOutcome> {
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  try {
    const outcome = await deps.sessionManager.execute(identifier, plan.code, { timeoutMs: plan.timeoutMs, signal });
    const response = outcome.response;
    deps.metrics.execution(response.timedOut ? 'timed_out' : response.status === 'success' ? 'succeeded' : 'failed', seconds());
    if (outcome.allocated) deps.logger.debug({ identifier }, 'session allocated');
    return outcome;
  } catch (error) {
    deps.metrics.execution('error', seconds());
    throw error;
  }
}
