/**
 * Gen-2 execution resources, so `GET executions/{id}` can answer for asynchronous (and recent
 * synchronous) executions. Finished records are kept for an hour, bounded by the total size of
 * their results: past `maxBytes`, the oldest finished results are evicted first. An evicted id is
 * remembered (without its result) so a poll can say what happened instead of "not found".
 *
 * Ids belong to sessions: a record is kept, found and refused per (identifier, id), so an
 * operation-id one session chose never blocks another session from choosing it, nor tells it
 * that the id is in use (an identifier is the only tenant boundary).
 */
import type { KernelImage } from '../../kernel/types.js';
import { imagesBytes, textBytes, valueBytes } from './execution-format.js';
import { FifoMap } from './fifo-map.js';

export type ExecutionState = 'Running' | 'Succeeded' | 'Failed';

export interface ExecutionResultBody {
  stdout: string;
  stderr: string;
  executionResult: unknown;
  executionTimeInMilliseconds: number;
  /** Images besides the one in executionResult; present only when there are some. */
  images?: KernelImage[];
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

export type ExecutionOutcome = Pick<ExecutionRecord, 'status' | 'result' | 'error'>;

/** What a lookup finds: the record, or the fact that its result was evicted to bound memory. */
export type ExecutionLookup = { record: ExecutionRecord } | { evicted: true } | undefined;

export interface ExecutionStoreOptions {
  /** Total size of the results kept; default 256 MiB (the pool's --result-store-mb). */
  maxBytes?: number;
  now?: () => number;
}

export const DEFAULT_RESULT_STORE_BYTES = 256 * 1024 * 1024;
const RETENTION_MS = 60 * 60 * 1000;
const MAX_RECORDS = 10_000;
/** Evicted ids remembered for a clear answer; each costs only its id and identifier. */
const MAX_EVICTED = 10_000;
/** Asynchronous executions waiting or running at once, across the pool. */
export const MAX_RUNNING = 1_000;
/** What a record costs besides its result text: ids, field names, the object itself. */
const RECORD_OVERHEAD_BYTES = 1024;

interface Tombstone {
  identifier: string;
  evictedAt: number;
}

export class ExecutionStore {
  readonly maxBytes: number;
  /** Every map and set below is keyed by storeKey(identifier, id). */
  readonly #records = new Map<string, ExecutionRecord>();
  /** Finished records, oldest first, with the bytes each one holds. */
  readonly #finished = new FifoMap<string, number>();
  readonly #evicted = new FifoMap<string, Tombstone>();
  readonly #running = new Set<AbortController>();
  /** Ids handed out to executions still being set up or run synchronously, not yet put. */
  readonly #claimed = new Set<string>();
  readonly #now: () => number;
  #bytes = 0;
  #evictions = 0;

  constructor(options: ExecutionStoreOptions = {}) {
    this.maxBytes = options.maxBytes ?? DEFAULT_RESULT_STORE_BYTES;
    this.#now = options.now ?? Date.now;
  }

  /** Bytes held by finished results now. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Results evicted to stay under maxBytes since the store was made. */
  get evictions(): number {
    return this.#evictions;
  }

  get runningCount(): number {
    return this.#running.size;
  }

  /** True when the session's id is taken: by a kept record, an evicted one, or an execution still under way. */
  has(id: string, identifier: string): boolean {
    const key = storeKey(identifier, id);
    return this.#records.has(key) || this.#evicted.has(key) || this.#claimed.has(key);
  }

  /**
   * Takes an id for an execution about to run, or answers false when it is taken. Checking and
   * taking in one step keeps two concurrent requests with the same operation-id from both running
   * and the second overwriting the first's record. `put` ends the claim; so does `release`.
   */
  claim(id: string, identifier: string): boolean {
    if (this.has(id, identifier)) return false;
    this.#claimed.add(storeKey(identifier, id));
    return true;
  }

  /** Gives back a claimed id whose execution never produced a record (it was refused or failed). */
  release(id: string, identifier: string): void {
    this.#claimed.delete(storeKey(identifier, id));
  }

  /** The record, only for the session that created it. */
  lookup(id: string, identifier: string): ExecutionLookup {
    this.#prune();
    const key = storeKey(identifier, id);
    const record = this.#records.get(key);
    if (record) return { record };
    return this.#evicted.has(key) ? { evicted: true } : undefined;
  }

  /** Keeps a finished record (a synchronous execution). */
  put(record: ExecutionRecord): void {
    this.#prune();
    const key = storeKey(record.identifier, record.id);
    this.#claimed.delete(key);
    this.#records.set(key, record);
    if (record.status !== 'Running') this.#finish(record);
  }

  /** Runs `work` in the background, recording its outcome on `record`. */
  runInBackground(record: ExecutionRecord, work: (signal: AbortSignal) => Promise<ExecutionOutcome>): void {
    this.put(record);
    const controller = new AbortController();
    this.#running.add(controller);
    void work(controller.signal)
      .catch((): ExecutionOutcome => ({ status: 'Failed', error: { code: 'InternalServerError', message: 'The execution failed unexpectedly; the server log has the details.' } }))
      .then((outcome) => {
        Object.assign(record, outcome);
        this.#finish(record);
      })
      .finally(() => this.#running.delete(controller));
  }

  /** Stops background executions (server shutdown). */
  abortAll(): void {
    for (const controller of this.#running) controller.abort(new Error('the pool server is shutting down'));
  }

  /** Forgets a deleted session's executions. */
  forgetSession(identifier: string): void {
    for (const [key, record] of this.#records) if (record.identifier === identifier && record.status !== 'Running') this.#delete(key);
    for (const [key, tombstone] of this.#evicted.entries()) if (tombstone.identifier === identifier) this.#evicted.delete(key);
  }

  #finish(record: ExecutionRecord): void {
    record.finishedAt ??= this.#now();
    const key = storeKey(record.identifier, record.id);
    const size = recordBytes(record);
    this.#finished.set(key, size);
    this.#bytes += size;
    // Oldest first; the record just added is the newest, and alone it fits (maxResultMb ≤ resultStoreMb).
    while (this.#bytes > this.maxBytes) {
      const oldest = this.#finished.oldest()?.[0];
      if (oldest === undefined || oldest === key) break;
      this.#evict(oldest);
    }
  }

  #evict(key: string): void {
    const record = this.#records.get(key);
    this.#delete(key);
    if (!record) return;
    this.#evictions++;
    this.#evicted.set(key, { identifier: record.identifier, evictedAt: this.#now() });
    if (this.#evicted.size > MAX_EVICTED) this.#evicted.delete(this.#evicted.oldest()![0]);
  }

  #delete(key: string): void {
    this.#records.delete(key);
    const size = this.#finished.get(key);
    if (size === undefined) return;
    this.#finished.delete(key);
    this.#bytes -= size;
  }

  #prune(): void {
    const cutoff = this.#now() - RETENTION_MS;
    for (let oldest = this.#finished.oldest(); oldest; oldest = this.#finished.oldest()) {
      const record = this.#records.get(oldest[0]);
      if (record?.finishedAt !== undefined && record.finishedAt >= cutoff) break;
      this.#delete(oldest[0]);
    }
    for (let oldest = this.#evicted.oldest(); oldest; oldest = this.#evicted.oldest()) {
      if (oldest[1].evictedAt >= cutoff) break;
      this.#evicted.delete(oldest[0]);
    }
    for (let oldest = this.#finished.oldest(); oldest && this.#records.size >= MAX_RECORDS; oldest = this.#finished.oldest()) {
      this.#evict(oldest[0]);
    }
  }
}

/** One session's id as the store keys it: the identifier's length first, so no two pairs collide. */
function storeKey(identifier: string, id: string): string {
  return `${identifier.length}:${identifier}:${id}`;
}

/** The bytes a finished record holds: its result text plus a fixed overhead. */
export function recordBytes(record: ExecutionRecord): number {
  const result = record.result;
  const error = record.error ? textBytes(record.error.message) : 0;
  if (!result) return RECORD_OVERHEAD_BYTES + error;
  return RECORD_OVERHEAD_BYTES + error + textBytes(result.stdout) + textBytes(result.stderr) + valueBytes(result.executionResult) + imagesBytes(result.images);
}
