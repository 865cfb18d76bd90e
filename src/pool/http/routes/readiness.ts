/**
 * `GET /readyz` for load balancers and Kubernetes readiness probes: 200 while the node can take a
 * new session, 503 while it drains or is full. `/healthz` answers "alive" either way, so a draining
 * or full node is taken out of rotation without being restarted. Open to anyone, like /healthz, and
 * for the same reason it says no more than its status.
 */
import type { Hono } from 'hono';
import { sendJson, type PoolAppDeps, type PoolEnv } from '../context.js';

export type Readiness = 'ready' | 'draining' | 'full';

export function readiness(deps: PoolAppDeps): Readiness {
  if (deps.drain?.draining) return 'draining';
  const stats = deps.sessionManager.stats();
  // Full: every session slot is taken, so a new identifier would be refused.
  if (stats.ready === 0 && stats.live >= stats.maxSessions) return 'full';
  return 'ready';
}

export function registerReadinessRoute(app: Hono<PoolEnv>, deps: PoolAppDeps): void {
  app.get('/readyz', (c) => {
    c.set('operation', 'readyz');
    const status = readiness(deps);
    return sendJson(c, status === 'ready' ? 200 : 503, { status });
  });
}
