/** What the pool suites share: starting a bench pool and timing ACA gen-1 `code/execute` against it. */
import { Worker } from 'node:worker_threads';
import { startPoolServer, type PoolContainerType, type RunningPoolServer } from '../../pool/index.js';
import { jsonPoster } from './http-client.js';
import type { LoadJob, LoadResult } from './load-worker.js';

const API = 'api-version=2024-02-02-preview';

export function executeUrl(server: RunningPoolServer, identifier: string): string {
  return `${server.url}/code/execute?${API}&identifier=${encodeURIComponent(identifier)}`;
}

/** The gen-1 request that runs `code`, built once: each call sends it and throws unless it succeeded. */
export function executor(server: RunningPoolServer, identifier: string, code = '1'): () => Promise<void> {
  const post = jsonPoster(executeUrl(server, identifier), { properties: { codeInputType: 'inline', executionType: 'synchronous', code } });
  return async () => {
    const response = await post();
    const body = response.body as { properties?: { status?: string } };
    if (response.status !== 200 || body.properties?.status !== 'Success') throw new Error(`pool execute failed: HTTP ${response.status} ${JSON.stringify(body).slice(0, 300)}`);
  };
}

/** Runs `code` in session `identifier` over HTTP; throws unless it succeeded. */
export function execute(server: RunningPoolServer, identifier: string, code = '1'): Promise<void> {
  return executor(server, identifier, code)();
}

/** Waits (polling) until the pool holds `count` ready sessions. */
export async function waitForReady(server: RunningPoolServer, count: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (server.sessionManager.stats().ready < count) {
    if (Date.now() > deadline) throw new Error(`the pool did not refill ${count} ready sessions within ${timeoutMs / 1000} s (${server.sessionManager.stats().ready} ready)`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A pool as the bench uses it: bwrap isolation, no egress, no key (loopback only), no idle expiry. */
export function startBenchPool(options: { readySessions: number; maxSessions?: number; containerType?: PoolContainerType }): Promise<RunningPoolServer> {
  return startPoolServer({
    port: 0,
    containerType: options.containerType,
    isolation: 'bwrap',
    egress: false,
    readySessions: options.readySessions,
    maxSessions: options.maxSessions ?? 200,
    cooldownSeconds: 3600,
    env: {},
  });
}

/** Drives every session in `identifiers` in closed loops from a worker thread for `seconds`. */
export function driveLoad(server: RunningPoolServer, identifiers: string[], seconds: number): Promise<LoadResult> {
  const job: LoadJob = { urls: identifiers.map((identifier) => executeUrl(server, identifier)), seconds, code: '1' };
  const worker = new Worker(new URL('./load-worker.js', import.meta.url), { workerData: job });
  return new Promise((resolve, reject) => {
    worker.once('message', (result: LoadResult) => {
      void worker.terminate();
      resolve(result);
    });
    worker.once('error', reject);
  });
}
