/**
 * Watches GET /healthz while an attack runs: a worker thread (its own event loop, so a busy test
 * never delays a probe) opens a fresh connection every `intervalMs`, times each answer and
 * records failures. stop() returns what it saw.
 */
import { Worker } from 'node:worker_threads';

export interface HealthReport {
  probes: number;
  failures: string[];
  maxMs: number;
  slowest: number[];
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
let stopping = false;
parentPort.on('message', (message) => { if (message === 'stop') stopping = true; });
function probe() {
  return new Promise((resolve) => {
    const started = performance.now();
    let settled = false;
    const finish = (result) => { if (!settled) { settled = true; clearTimeout(timer); resolve({ ms: performance.now() - started, ...result }); } };
    const request = http.get(workerData.url + '/healthz', { agent: false, localAddress: workerData.localAddress }, (response) => {
      response.resume();
      response.on('end', () => finish({ status: response.statusCode }));
      response.on('error', (error) => finish({ error: error.message }));
    });
    const timer = setTimeout(() => { request.destroy(); finish({ error: 'no answer within ' + workerData.giveUpMs + ' ms' }); }, workerData.giveUpMs);
    request.on('error', (error) => finish({ error: error.message }));
  });
}
(async () => {
  while (!stopping) {
    const result = await probe();
    parentPort.postMessage(result);
    await new Promise((resolve) => setTimeout(resolve, workerData.intervalMs));
  }
  parentPort.postMessage('done');
})();
`;

export class HealthWatch {
  readonly #worker: Worker;
  readonly #samples: number[] = [];
  readonly #failures: string[] = [];
  readonly #done: Promise<void>;

  /** `localAddress` makes the probes come from another loopback address (another client). */
  constructor(url: string, options: { intervalMs?: number; limitMs?: number; giveUpMs?: number; localAddress?: string } = {}) {
    const limitMs = options.limitMs ?? 1_000;
    this.#worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { url, intervalMs: options.intervalMs ?? 200, giveUpMs: options.giveUpMs ?? 5_000, localAddress: options.localAddress },
    });
    this.#done = new Promise((resolve) => {
      this.#worker.on('message', (message: unknown) => {
        if (message === 'done') {
          resolve();
          return;
        }
        const sample = message as { ms: number; status?: number; error?: string };
        this.#samples.push(sample.ms);
        if (sample.error) this.#failures.push(`healthz failed after ${Math.round(sample.ms)} ms: ${sample.error}`);
        else if (sample.status !== 200) this.#failures.push(`healthz answered ${sample.status}`);
        else if (sample.ms > limitMs) this.#failures.push(`healthz took ${Math.round(sample.ms)} ms`);
      });
      this.#worker.on('error', () => resolve());
      this.#worker.on('exit', () => resolve());
    });
  }

  async stop(): Promise<HealthReport> {
    this.#worker.postMessage('stop');
    await Promise.race([this.#done, new Promise((resolve) => setTimeout(resolve, 10_000))]);
    await this.#worker.terminate();
    const sorted = [...this.#samples].sort((a, b) => b - a);
    return { probes: this.#samples.length, failures: [...this.#failures], maxMs: sorted[0] ?? 0, slowest: sorted.slice(0, 5).map(Math.round) };
  }
}
