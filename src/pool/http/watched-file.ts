/**
 * A small text file the server reads again when it changes (API keys, a JWKS). It is checked
 * when someone asks for it, at most once per interval: no watcher to lose events when the file
 * is replaced by a rename (editors, Kubernetes secrets), and nothing to do while nobody asks.
 */
import { open } from 'node:fs/promises';

export interface WatchedFileOptions {
  /** Least time between two reads. Default 1000 ms. */
  intervalMs?: number;
  /** Larger files are refused (as unreadable). Default 1 MiB. */
  maxBytes?: number;
  now?: () => number;
  /** Called after a read that found different text, or a file that became unreadable (text undefined). */
  onChange?: (text: string | undefined, error: Error | undefined) => void;
}

const DEFAULT_INTERVAL_MS = 1000;
const DEFAULT_MAX_BYTES = 1024 * 1024;

export class WatchedFile {
  readonly #intervalMs: number;
  readonly #maxBytes: number;
  readonly #now: () => number;
  readonly #onChange: WatchedFileOptions['onChange'];
  #text: string | undefined;
  #readable = false;
  #checkedAt = Number.NEGATIVE_INFINITY;
  #pending: Promise<void> | undefined;

  constructor(
    readonly path: string,
    options: WatchedFileOptions = {},
  ) {
    this.#intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS;
    this.#maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    this.#now = options.now ?? Date.now;
    this.#onChange = options.onChange;
  }

  /** Reads the file now; throws (with the reason) when it cannot be read. */
  async load(): Promise<string> {
    const text = await this.#read();
    this.#text = text;
    this.#readable = true;
    this.#checkedAt = this.#now();
    return text;
  }

  /** The file's text, read again if the last read is older than the interval; undefined while it cannot be read. */
  async current(): Promise<string | undefined> {
    if (this.#now() - this.#checkedAt >= this.#intervalMs) {
      this.#pending ??= this.#refresh().finally(() => {
        this.#pending = undefined;
      });
      await this.#pending;
    }
    return this.#text;
  }

  async #refresh(): Promise<void> {
    this.#checkedAt = this.#now();
    let text: string | undefined;
    let error: Error | undefined;
    try {
      text = await this.#read();
    } catch (caught) {
      error = caught as Error;
    }
    const changed = text === undefined ? this.#readable : !this.#readable || text !== this.#text;
    this.#text = text;
    this.#readable = text !== undefined;
    if (changed) this.#onChange?.(text, error);
  }

  async #read(): Promise<string> {
    const handle = await open(this.path, 'r');
    try {
      const info = await handle.stat();
      if (!info.isFile()) throw new Error(`${this.path} is not a regular file`);
      if (info.size > this.#maxBytes) throw new Error(`${this.path} is larger than ${this.#maxBytes} bytes`);
      return await handle.readFile({ encoding: 'utf8' });
    } finally {
      await handle.close();
    }
  }
}
