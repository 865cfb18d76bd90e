/**
 * Static bearer keys: given at start (--api-key, TIDEPOOL_POOL_API_KEYS) and/or read from a keys
 * file (one key per line, blank lines and `#` comments ignored) that is read again when it changes,
 * so keys rotate without a restart. Keys are compared as SHA-256 digests with timingSafeEqual,
 * against every key, so neither the length nor the position of a mismatch leaks through timing.
 */
import { hash, timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import { ConfigurationError } from '../../errors.js';
import { WatchedFile } from './watched-file.js';

/** One-shot hashing: every request's token is digested, and a Hash object per call costs more than the hash. */
const digest = (value: string): Buffer => hash('sha256', value, 'buffer');

/** The keys in a keys file's text. */
export function parseKeysFile(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.startsWith('#'));
}

export interface KeyCheckerOptions {
  keys: string[];
  keysFile?: string;
  logger: Logger;
  /** How often the keys file may be read again; default 1000 ms. */
  keysFileIntervalMs?: number;
}

export class KeyChecker {
  readonly #static: Buffer[];
  #file: WatchedFile | undefined;
  #fileDigests: Buffer[] = [];

  private constructor(keys: string[]) {
    this.#static = keys.map(digest);
  }

  /** Keys known at start, no file. */
  static fromKeys(keys: string[]): KeyChecker {
    return new KeyChecker(keys);
  }

  /** Reads the keys file once, refusing to start without it: a missing file would otherwise lock every client out. */
  static async create(options: KeyCheckerOptions): Promise<KeyChecker> {
    const { keysFile, logger } = options;
    const checker = new KeyChecker(options.keys);
    if (!keysFile) return checker;
    const file = new WatchedFile(keysFile, {
      intervalMs: options.keysFileIntervalMs,
      onChange: (text, error) => {
        const keys = text === undefined ? [] : parseKeysFile(text);
        checker.#fileDigests = keys.map(digest);
        // Never the keys themselves: only how many there are now.
        if (error) logger.warn({ keysFile, reason: error.message }, 'API keys file unreadable: none of its keys is accepted until it can be read again');
        else logger.info({ keysFile, keys: keys.length }, 'API keys file changed: keys reloaded');
      },
    });
    let text: string;
    try {
      text = await file.load();
    } catch (error) {
      throw new ConfigurationError(`TIDEPOOL_POOL_API_KEYS_FILE / --api-keys-file: cannot read ${keysFile} (${(error as Error).message}); create it with one key per line.`, { cause: error });
    }
    const keys = parseKeysFile(text);
    if (keys.length === 0) throw new ConfigurationError(`TIDEPOOL_POOL_API_KEYS_FILE / --api-keys-file: ${keysFile} has no key; write one key per line (lines starting with # are comments).`);
    checker.#fileDigests = keys.map(digest);
    checker.#file = file;
    return checker;
  }

  /** Whether any key source is configured (a keys file counts even while it holds no key). */
  get configured(): boolean {
    return this.#static.length > 0 || this.#file !== undefined;
  }

  async matches(token: string): Promise<boolean> {
    await this.#file?.current();
    const offered = digest(token);
    let ok = false;
    for (const key of [...this.#static, ...this.#fileDigests]) ok = timingSafeEqual(offered, key) || ok;
    return ok;
  }
}
