/**
 * After a restart, a session the pool held when it stopped is reported as lost on its first call,
 * never handed over silently empty; sessions that ended on purpose (deleted, idle) and new
 * identifiers start fresh without a notice. The journal holds hashes, not identifiers.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SessionJournal } from '../../../src/pool/runtime/session-journal.js';
import { ConfigurationError } from '../../../src/errors.js';
import { createTestManager, run } from './helpers.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'tidepool-journal-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('session journal', () => {
  it('tells the first call on a session lost by a restart, and only that one', async () => {
    const sessionJournal = path.join(dir, 'state', 'pool-sessions.sqlite');
    const before = createTestManager({ sessionJournal, readySessions: 0 });
    try {
      await run(before, 'held-secret-id', 'x = 1');
      await before.writeFile('held-secret-id', 'notes.txt', new Uint8Array([1]));
      await run(before, 'deleted', 'y = 2');
      expect(await before.deleteSession('deleted')).toBe(true);
    } finally {
      await before.close();
    }
    // Hashes only: the file never names an identifier.
    expect(readFileSync(sessionJournal).includes('held-secret-id')).toBe(false);

    const after = createTestManager({ sessionJournal, readySessions: 0 });
    try {
      const lost = await run(after, 'held-secret-id', "import os\n('x' in globals(), os.listdir('/mnt/data'))");
      expect(lost.freshKernel).toBe(true);
      expect(lost.response.stderr).toContain('This session was lost when the pool restarted');
      expect(lost.response.result).toBe("(False, [])");
      const again = await run(after, 'held-secret-id', '1');
      expect(again.freshKernel).toBe(false);
      expect(again.response.stderr).toBe('');
      for (const identifier of ['deleted', 'never-seen']) {
        const fresh = await run(after, identifier, '2');
        expect(fresh.freshKernel, identifier).toBe(false);
        expect(fresh.response.stderr, identifier).toBe('');
      }
    } finally {
      await after.close();
    }
  });

  it('refuses a journal it cannot write, naming the setting', () => {
    expect(() => SessionJournal.open('/proc/version/journal.sqlite')).toThrow(ConfigurationError);
    expect(() => SessionJournal.open('/proc/version/journal.sqlite')).toThrow(/TIDEPOOL_POOL_SESSION_JOURNAL \/ --session-journal: cannot use/);
  });
});
