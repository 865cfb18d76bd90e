/**
 * Conversations, their messages and the images tools produced, in SQLite (node:sqlite), so a
 * restart of `tidepool serve` finds everything again. A conversation's id is also its sandbox
 * session identifier, so it is a secret: rows are scoped to the owner (a browser's cookie).
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { ModelMessage } from 'ai';
import type { DisplayMessage, MessagePart } from './types.js';

export interface ConversationSummary {
  id: string;
  agentId: string;
  title: string;
  createdAt: string;
  updatedAt: string;
}

export interface StoredImage {
  fileName: string;
  mediaType: string;
  data: Uint8Array;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS conversations (
  id TEXT PRIMARY KEY,
  owner_id TEXT NOT NULL,
  agent_id TEXT NOT NULL,
  title TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS conversations_owner ON conversations(owner_id, updated_at);
CREATE TABLE IF NOT EXISTS messages (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
  role TEXT NOT NULL,
  parts TEXT NOT NULL,
  model_messages TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_conversation ON messages(conversation_id, id);
CREATE TABLE IF NOT EXISTS images (
  id TEXT PRIMARY KEY,
  conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
  file_name TEXT NOT NULL,
  media_type TEXT NOT NULL,
  data BLOB NOT NULL,
  created_at TEXT NOT NULL
);
`;

interface ConversationRow {
  id: string;
  agent_id: string;
  title: string;
  created_at: string;
  updated_at: string;
}

export class ConversationStore {
  readonly #db: DatabaseSync;

  /** `dbPath` ':memory:' keeps nothing on disk (tests). */
  constructor(readonly dbPath: string) {
    if (dbPath !== ':memory:') mkdirSync(path.dirname(path.resolve(dbPath)), { recursive: true });
    this.#db = new DatabaseSync(dbPath);
    this.#db.exec('PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON;');
    this.#db.exec(SCHEMA);
  }

  create(ownerId: string, agentId: string, title = 'New conversation'): ConversationSummary {
    const now = new Date().toISOString();
    const id = randomUUID();
    this.#db
      .prepare('INSERT INTO conversations (id, owner_id, agent_id, title, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(id, ownerId, agentId, title, now, now);
    return { id, agentId, title, createdAt: now, updatedAt: now };
  }

  /** Undefined when the id is unknown or belongs to someone else (the two look the same on purpose). */
  get(ownerId: string, id: string): ConversationSummary | undefined {
    const row = this.#db
      .prepare('SELECT id, agent_id, title, created_at, updated_at FROM conversations WHERE id = ? AND owner_id = ?')
      .get(id, ownerId) as ConversationRow | undefined;
    return row && toSummary(row);
  }

  list(ownerId: string): ConversationSummary[] {
    const rows = this.#db
      .prepare('SELECT id, agent_id, title, created_at, updated_at FROM conversations WHERE owner_id = ? ORDER BY updated_at DESC')
      .all(ownerId) as unknown as ConversationRow[];
    return rows.map(toSummary);
  }

  delete(ownerId: string, id: string): boolean {
    return Number(this.#db.prepare('DELETE FROM conversations WHERE id = ? AND owner_id = ?').run(id, ownerId).changes) > 0;
  }

  rename(id: string, title: string): void {
    this.#db.prepare('UPDATE conversations SET title = ? WHERE id = ?').run(title, id);
  }

  /** Appends a message; `modelMessages` are what the model sees of it on later turns. */
  addMessage(conversationId: string, role: 'user' | 'assistant', parts: MessagePart[], modelMessages: ModelMessage[]): DisplayMessage {
    const now = new Date().toISOString();
    const result = this.#db
      .prepare('INSERT INTO messages (conversation_id, role, parts, model_messages, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(conversationId, role, JSON.stringify(parts), JSON.stringify(modelMessages), now);
    this.#db.prepare('UPDATE conversations SET updated_at = ? WHERE id = ?').run(now, conversationId);
    return { id: Number(result.lastInsertRowid), role, parts, createdAt: now };
  }

  messages(conversationId: string): DisplayMessage[] {
    const rows = this.#db
      .prepare('SELECT id, role, parts, created_at FROM messages WHERE conversation_id = ? ORDER BY id')
      .all(conversationId) as unknown as { id: number; role: 'user' | 'assistant'; parts: string; created_at: string }[];
    return rows.map((row) => ({ id: Number(row.id), role: row.role, parts: JSON.parse(row.parts) as MessagePart[], createdAt: row.created_at }));
  }

  /** The whole history in the model's terms, oldest first. */
  modelHistory(conversationId: string): ModelMessage[] {
    const rows = this.#db
      .prepare('SELECT model_messages FROM messages WHERE conversation_id = ? ORDER BY id')
      .all(conversationId) as unknown as { model_messages: string }[];
    return rows.flatMap((row) => JSON.parse(row.model_messages) as ModelMessage[]);
  }

  saveImage(conversationId: string, image: StoredImage): string {
    const id = randomUUID();
    this.#db
      .prepare('INSERT INTO images (id, conversation_id, file_name, media_type, data, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(id, conversationId, image.fileName, image.mediaType, image.data, new Date().toISOString());
    return id;
  }

  image(conversationId: string, imageId: string): StoredImage | undefined {
    const row = this.#db
      .prepare('SELECT file_name, media_type, data FROM images WHERE id = ? AND conversation_id = ?')
      .get(imageId, conversationId) as { file_name: string; media_type: string; data: Uint8Array } | undefined;
    return row && { fileName: row.file_name, mediaType: row.media_type, data: row.data };
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }
}

function toSummary(row: ConversationRow): ConversationSummary {
  return { id: row.id, agentId: row.agent_id, title: row.title, createdAt: row.created_at, updatedAt: row.updated_at };
}
