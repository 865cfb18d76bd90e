/**
 * Gen-2 execution resources, so `GET executions/{id}` can answer for asynchronous (and recent
 * synchronous) executions. Finished records are kept for an hour, at most MAX_RECORDS of them.
 */
export type ExecutionState = 'Running' | 'Succeeded' | 'Failed';

export interface ExecutionResultBody {
  stdout: string;
  stderr: string;
  executionResult: unknown;
  executionTimeInMilliseconds: number;
}

export interface ExecutionRecord {
  id: string;
  identifier: string;
  executionType: 'Synchronous' | 'Asynchronous';
  status: ExecutionState;
  result?: ExecutionResultBody;
  error?: { code: string; message: string };
  finishedAt?: number;
}

const RETENTION_MS = 60 * 60 * 1000;
const MAX_RECORDS = 10_000;

export class ExecutionStore {
  readonly #records = new Map<string, ExecutionRecord>();
  readonly #running = new Set<AbortController>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  has(id: string): boolean {
    return this.#records.has(id);
  }

  /** The record, only for the session that created it (an identifier is the only tenant boundary). */
  get(id: string, identifier: string): ExecutionRecord | undefined {
    const record = this.#records.get(id);
    return record && record.identifier === identifier ? record : undefined;
  }

  put(record: ExecutionRecord): void {
    this.#prune();
    this.#records.set(record.id, record);
  }

  /** Runs `work` in the background, recording its outcome on `record`. */
  runInBackground(record: ExecutionRecord, work: (signal: AbortSignal) => Promise<Pick<ExecutionRecord, 'status' | 'result' | 'error'>>): void {
    this.put(record);
    const controller = new AbortController();
    this.#running.add(controller);
    void work(controller.signal)
      .then((outcome) => Object.assign(record, outcome, { finishedAt: this.#now() }))
      .finally(() => this.#running.delete(controller));
  }

  /** Stops background executions (server shutdown). */
  abortAll(): void {
    for (const controller of this.#running) controller.abort(new Error('the pool server is shutting down'));
  }

  /** Forgets a deleted session's executions. */
  forgetSession(identifier: string): void {
    for (const [id, record] of this.#records) if (record.identifier === identifier && record.status !== 'Running') this.#records.delete(id);
  }

  #prune(): void {
    const cutoff = this.#now() - RETENTION_MS;
    for (const [id, record] of this.#records) {
      if (record.finishedAt !== undefined && record.finishedAt < cutoff) this.#records.delete(id);
    }
    if (this.#records.size < MAX_RECORDS) return;
    for (const [id, record] of this.#records) {
      if (record.status === 'Running') continue;
      this.#records.delete(id);
      if (this.#records.size < MAX_RECORDS) break;
    }
  }
}
