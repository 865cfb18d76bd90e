/**
 * Throughput load generator, run in a worker thread so that the client's own work (building and
 * parsing requests) is not charged to the server's event loop: the pool under test gets its
 * process to itself, as it does when clients live elsewhere. Each session is driven by one
 * closed loop (a request, its answer, the next request) until the deadline.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { jsonPoster } from './http-client.js';

export interface LoadJob {
  urls: string[];
  seconds: number;
  code: string;
}

export interface LoadResult {
  done: number;
  elapsedMs: number;
  failures: number;
  firstFailure?: string;
}

async function run(job: LoadJob): Promise<LoadResult> {
  const payload = { properties: { codeInputType: 'inline', executionType: 'synchronous', code: job.code } };
  let done = 0;
  let failures = 0;
  let firstFailure: string | undefined;
  const started = performance.now();
  const until = started + job.seconds * 1000;
  await Promise.all(
    job.urls.map(async (url) => {
      const post = jsonPoster(url, payload);
      while (performance.now() < until) {
        const response = await post();
        const status = (response.body as { properties?: { status?: string } }).properties?.status;
        if (response.status === 200 && status === 'Success') done++;
        else {
          failures++;
          firstFailure ??= `HTTP ${response.status} ${JSON.stringify(response.body).slice(0, 200)}`;
        }
      }
    }),
  );
  return { done, elapsedMs: performance.now() - started, failures, ...(firstFailure && { firstFailure }) };
}

if (parentPort) {
  const port = parentPort;
  run(workerData as LoadJob).then(
    (result) => port.postMessage(result),
    (error: unknown) => port.postMessage({ done: 0, elapsedMs: 0, failures: 1, firstFailure: (error as Error).message } satisfies LoadResult),
  );
}
