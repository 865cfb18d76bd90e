/** Builds the pool app in-process around the fake runtime, plus small request helpers. */
import { pino, type Logger } from 'pino';
import { createPoolApp } from '../../../src/pool/http/app.js';
import type { Authenticator } from '../../../src/pool/http/auth.js';
import type { CodeBudget } from '../../../src/pool/http/code-budget.js';
import type { PoolAppDeps } from '../../../src/pool/http/context.js';
import { ExecutionStore } from '../../../src/pool/http/execution-store.js';
import type { ExecutionResultFormat } from '../../../src/pool/http/http-settings.js';
import type { LegacyUsageLog } from '../../../src/pool/http/legacy-usage-log.js';
import { PoolMetrics } from '../../../src/pool/http/metrics.js';
import { resolvePoolSettings } from '../../../src/pool/settings.js';
import type { PoolSettings, SessionManager } from '../../../src/pool/types.js';
import { FakeSessionManager } from './fake-session-manager.js';

export const E = '/subscriptions/0000/resourceGroups/rg/sessionPools/pool';
export const V1 = 'api-version=2024-02-02-preview';
export const V2 = 'api-version=2024-10-02-preview';
export const V3 = 'api-version=2025-10-02-preview';
export const V25 = 'api-version=2025-02-02-preview';

export interface Harness {
  request(path: string, init?: RequestInit): Promise<Response>;
  /** The app's own fetch handler, as `startPoolServer` hands it to in-process callers. */
  fetch(request: Request): Response | Promise<Response>;
  json(path: string, body: unknown, init?: RequestInit): Promise<Response>;
  manager: SessionManager;
  deps: PoolAppDeps;
  close(): Promise<void>;
}

export async function createHarness(
  options: {
    settings?: Partial<PoolSettings>;
    apiKeys?: string[];
    maxUploadBytes?: number;
    maxResultBytes?: number;
    manager?: SessionManager;
    executions?: ExecutionStore;
    logger?: Logger;
    authenticator?: Authenticator;
    legacyApi?: boolean;
    legacyUsage?: LegacyUsageLog;
    executionResult?: ExecutionResultFormat;
    codeBudget?: CodeBudget;
  } = {},
): Promise<Harness> {
  const settings = resolvePoolSettings({ maxSessions: 20, readySessions: 0, ...options.settings }, {});
  const manager = options.manager ?? new FakeSessionManager(settings);
  await manager.start();
  const deps: PoolAppDeps = {
    sessionManager: manager,
    settings,
    apiKeys: options.apiKeys ?? [],
    authenticator: options.authenticator,
    legacyApi: options.legacyApi,
    legacyUsage: options.legacyUsage,
    executionResult: options.executionResult,
    logger: options.logger ?? pino({ level: 'silent' }),
    metrics: new PoolMetrics(manager),
    executions: options.executions ?? new ExecutionStore(),
    maxUploadBytes: options.maxUploadBytes,
    maxResultBytes: options.maxResultBytes,
    codeBudget: options.codeBudget,
    startedAt: new Date(),
  };
  const app = createPoolApp(deps);
  const request = (path: string, init?: RequestInit) => Promise.resolve(app.request(path, init));
  return {
    request,
    fetch: (request) => app.fetch(request),
    json: (path, body, init) =>
      request(path, { method: 'POST', ...init, headers: { 'content-type': 'application/json', ...init?.headers }, body: JSON.stringify(body) }),
    manager,
    deps,
    close: async () => {
      deps.executions.abortAll();
      await manager.close();
    },
  };
}

export function gen1Exec(code: string): unknown {
  return { properties: { codeInputType: 'inline', executionType: 'synchronous', code } };
}

export function gen2Exec(code: string, extra: Record<string, unknown> = {}): unknown {
  return { codeInputType: 'Inline', executionType: 'Synchronous', timeoutInSeconds: 100, code, ...extra };
}

export function multipart(filename: string, data: Uint8Array | string, field = 'file'): FormData {
  const form = new FormData();
  form.append(field, new Blob([typeof data === 'string' ? new TextEncoder().encode(data) : data], { type: 'application/octet-stream' }), filename);
  return form;
}

/** Polls an async execution until it leaves Running. */
export async function pollExecution(harness: { request(path: string): Promise<Response> }, path: string): Promise<Record<string, unknown>> {
  for (let attempt = 0; attempt < 300; attempt++) {
    const response = await harness.request(path);
    const body = (await response.json()) as Record<string, unknown>;
    if (body.status !== 'Running') return body;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`execution at ${path} never finished`);
}
