/**
 * The identifiers of the sessions a pool holds, kept on disk so that a restarted pool can tell a
 * client that its session was lost, instead of silently handing it an empty one. A session leaves
 * the journal when it ends on purpose (deleted, or idle past its cooldown): only sessions the pool
 * still held when it stopped are reported as lost.
 *
 * Identifiers are stored as salted SHA-256 hashes, so the file does not reveal which identifiers
 * clients used. The file is the pool owner's (0600, in a 0700 directory it creates).
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { ConfigurationError } from '../../errors.js';

export class SessionJournal {
  readonly #db: DatabaseSync;
  readonly #salt: Buffer;

  private constructor(db: DatabaseSync, salt: Buffer) {
    this.#db = db;
    this.#salt = salt;
  }

  /** Opens (or creates) the journal at `file`; a file that cannot be used is a configuration error. */
  static open(file: string): SessionJournal {
    try {
      mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      const db = new DatabaseSync(file);
      chmodSync(file, 0o600);
      db.exec('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL); CREATE TABLE IF NOT EXISTS live (hash BLOB PRIMARY KEY)');
      let salt = (db.prepare("SELECT value FROM meta WHERE key = 'salt'").get() as { value: Uint8Array } | undefined)?.value;
      if (!salt) {
        salt = randomBytes(32);
        db.prepare("INSERT INTO meta (key, value) VALUES ('salt', ?)").run(salt);
      }
      return new SessionJournal(db, Buffer.from(salt));
    } catch (error) {
      throw new ConfigurationError(
        `TIDEPOOL_POOL_SESSION_JOURNAL / --session-journal: cannot use ${file} as the session journal (${(error as Error).message}); point it at a file in a directory the pool may write.`,
        { cause: error },
      );
    }
  }

  /** True when the pool held a session with this identifier when it last stopped (or holds it now). */
  has(identifier: string): boolean {
    return this.#db.prepare('SELECT 1 FROM live WHERE hash = ?').get(this.#hash(identifier)) !== undefined;
  }

  add(identifier: string): void {
    this.#db.prepare('INSERT OR IGNORE INTO live (hash) VALUES (?)').run(this.#hash(identifier));
  }

  remove(identifier: string): void {
    this.#db.prepare('DELETE FROM live WHERE hash = ?').run(this.#hash(identifier));
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }

  #hash(identifier: string): Buffer {
    return createHash('sha256').update(this.#salt).update(identifier, 'utf8').digest();
  }
}
