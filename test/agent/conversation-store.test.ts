import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConversationStore } from '../../src/agent/conversation-store.js';
import { resolveDbPath, userDataDir } from '../../src/agent/db-path.js';

const dirs: string[] = [];
function tempDb(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tidepool-store-'));
  dirs.push(dir);
  return path.join(dir, 'nested', 'tidepool.db');
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('ConversationStore', () => {
  it('keeps conversations, messages, model history and images across a reopen', () => {
    const dbPath = tempDb();
    const first = new ConversationStore(dbPath);
    const conversation = first.create('owner-a', 'travel-local');
    expect(conversation.id).toMatch(/^[0-9a-f-]{36}$/);
    first.addMessage(conversation.id, 'user', [{ type: 'text', text: 'Hi' }], []);
    first.addMessage(conversation.id, 'assistant', [{ type: 'text', text: 'Hello!' }], [
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: [{ type: 'text', text: 'Hello!' }] },
    ]);
    const imageId = first.saveImage(conversation.id, { fileName: 'chart.png', mediaType: 'image/png', data: new Uint8Array([137, 80, 78, 71]) });
    first.rename(conversation.id, 'Greetings');
    first.close();

    const second = new ConversationStore(dbPath);
    expect(second.list('owner-a').map((c) => [c.id, c.title, c.agentId])).toEqual([[conversation.id, 'Greetings', 'travel-local']]);
    expect(second.messages(conversation.id).map((m) => [m.role, m.parts])).toEqual([
      ['user', [{ type: 'text', text: 'Hi' }]],
      ['assistant', [{ type: 'text', text: 'Hello!' }]],
    ]);
    expect(second.modelHistory(conversation.id)).toHaveLength(2);
    expect([...second.image(conversation.id, imageId)!.data]).toEqual([137, 80, 78, 71]);
    second.close();
  });

  it('never shows one owner\'s conversations to another', () => {
    const store = new ConversationStore(':memory:');
    const mine = store.create('owner-a', 'travel-local');
    expect(store.get('owner-b', mine.id)).toBeUndefined();
    expect(store.list('owner-b')).toEqual([]);
    expect(store.delete('owner-b', mine.id)).toBe(false);
    expect(store.get('owner-a', mine.id)?.id).toBe(mine.id);
    store.close();
  });

  it('deletes a conversation with its messages and images', () => {
    const store = new ConversationStore(':memory:');
    const conversation = store.create('owner-a', 'travel-local');
    store.addMessage(conversation.id, 'user', [{ type: 'text', text: 'x' }], []);
    const imageId = store.saveImage(conversation.id, { fileName: 'a.png', mediaType: 'image/png', data: new Uint8Array([1]) });
    expect(store.delete('owner-a', conversation.id)).toBe(true);
    expect(store.messages(conversation.id)).toEqual([]);
    expect(store.image(conversation.id, imageId)).toBeUndefined();
    store.close();
  });
});

describe('resolveDbPath', () => {
  it('takes the option, then TIDEPOOL_DB_PATH, then the OS data directory', () => {
    expect(resolveDbPath('/x/a.db', { TIDEPOOL_DB_PATH: '/y/b.db' })).toBe('/x/a.db');
    expect(resolveDbPath(undefined, { TIDEPOOL_DB_PATH: '/y/b.db' })).toBe('/y/b.db');
    expect(resolveDbPath(undefined, { HOME: '/home/u', XDG_DATA_HOME: '' })).toBe(path.join(userDataDir({ HOME: '/home/u' }), 'tidepool', 'tidepool.db'));
    expect(userDataDir({ HOME: '/home/u' }, 'linux')).toBe('/home/u/.local/share');
    expect(userDataDir({ HOME: '/home/u', XDG_DATA_HOME: '/data' }, 'linux')).toBe('/data');
    expect(userDataDir({ HOME: '/Users/u' }, 'darwin')).toBe('/Users/u/Library/Application Support');
  });
});
