/**
 * Attacks on the file API from inside a session: a FIFO planted in /mnt/data (a reader of it
 * blocks forever) and a file name that is not UTF-8. The file API must answer quickly, say what
 * is wrong, and keep working for the session's other files.
 */
import { describe, expect, it } from 'vitest';
import { fileNames, HttpTimeout, type HttpAnswer } from './support/client.js';
import { guarded, useAttackPool } from './support/fixture.js';

/** The answer, or why there was none (a timeout is a hang as far as a client can tell). */
async function attempt(send: () => Promise<HttpAnswer>): Promise<HttpAnswer | string> {
  try {
    return await send();
  } catch (error) {
    return error instanceof HttpTimeout ? `no answer: ${error.message}` : `failed: ${(error as Error).message}`;
  }
}

function isErrorEnvelope(answer: HttpAnswer): boolean {
  try {
    return answer.status >= 400 && typeof (JSON.parse(answer.text) as { error?: { code?: unknown } }).error?.code === 'string';
  } catch {
    return false;
  }
}

function summary(answer: HttpAnswer | string): string {
  return typeof answer === 'string' ? answer : `HTTP ${answer.status} in ${Math.round(answer.elapsedMs)} ms: ${answer.text.slice(0, 200)}`;
}

describe('file API attacks (egress off)', () => {
  const ctx = useAttackPool({ egress: false, maxSessions: 8, readySessions: 2, memoryMb: 256 });

  it('M4: a FIFO in /mnt/data gets a clear error (or is skipped) within 5 s, and later file calls still work', async () => {
    await guarded(ctx, async () => {
      const attacker = ctx.id('m4');
      await ctx.probe(attacker, "import json, os\nos.mkfifo('/mnt/data/pipe')\nwith open('/mnt/data/ok.txt', 'w') as f:\n    f.write('fine')\njson.dumps({})");
      const client = ctx.client;
      const limit = 5_000;
      const downloads = {
        'GET files/content/pipe (gen-1)': await attempt(() => client.download1(attacker, 'pipe', limit)),
        'GET files/pipe/content (gen-2)': await attempt(() => client.download2(attacker, 'pipe', limit)),
        'GET files/pipe (gen-2 metadata)': await attempt(() => client.stat2(attacker, 'pipe', limit)),
      };
      const badDownloads = Object.entries(downloads)
        .filter(([, answer]) => typeof answer === 'string' || !isErrorEnvelope(answer))
        .map(([name, answer]) => `${name}: ${summary(answer)}`);
      expect.soft(badDownloads, 'requests for the FIFO that did not fail clearly within 5 s').toEqual([]);
      const listings = {
        'GET files (gen-1)': await attempt(() => client.list1(attacker, limit)),
        'GET files (gen-2)': await attempt(() => client.list2(attacker, { timeoutMs: limit })),
      };
      const badListings = Object.entries(listings)
        .filter(([, answer]) => typeof answer === 'string' || (answer.status === 200 ? fileNames(answer).includes('pipe') : !isErrorEnvelope(answer)))
        .map(([name, answer]) => `${name}: ${summary(answer)}`);
      expect.soft(badListings, 'listings that hung, failed without an envelope, or offered the FIFO as a file').toEqual([]);
      const after = {
        upload: await attempt(() => client.upload(attacker, 'after.txt', 'later', limit)),
        download: await attempt(() => client.download1(attacker, 'ok.txt', limit)),
        list: await attempt(() => client.list1(attacker, limit)),
      };
      expect.soft(summary(after.upload), 'an upload after the FIFO requests').toMatch(/^HTTP 200 /);
      expect.soft(typeof after.download === 'string' ? after.download : `${after.download.status} ${after.download.text}`, 'downloading ok.txt afterwards').toBe('200 fine');
      expect.soft(typeof after.list === 'string' ? after.list : fileNames(after.list).filter((name) => name !== 'pipe').sort(), 'listing afterwards').toEqual(['after.txt', 'ok.txt']);
    });
  }, 120_000);

  it('L1: a file name that is not UTF-8 does not break listing, and the other files stay downloadable', async () => {
    await guarded(ctx, async () => {
      const attacker = ctx.id('l1');
      await ctx.probe(
        attacker,
        "import json, os\nwith open(b'/mnt/data/\\xff\\xfe.txt', 'wb') as f:\n    f.write(b'odd')\nwith open('/mnt/data/normal.txt', 'w') as f:\n    f.write('normal content')\nl1_marker = 'kept'\njson.dumps({})",
      );
      const client = ctx.client;
      const list1 = await attempt(() => client.list1(attacker, 10_000));
      const list2 = await attempt(() => client.list2(attacker, { timeoutMs: 10_000 }));
      for (const [name, answer] of [['gen-1', list1], ['gen-2', list2]] as const) {
        expect.soft(typeof answer === 'string' ? answer : answer.status, `listing (${name}): ${summary(answer)}`).toBe(200);
        if (typeof answer !== 'string' && answer.status === 200) expect.soft(fileNames(answer), `listing (${name})`).toContain('normal.txt');
      }
      const download = await attempt(() => client.download1(attacker, 'normal.txt', 10_000));
      expect.soft(typeof download === 'string' ? download : `${download.status} ${download.text}`, 'downloading normal.txt').toBe('200 normal content');
      const still = await client.exec1(attacker, 'l1_marker', { httpTimeoutMs: 30_000 });
      expect.soft(still.result, 'the session after the listing').toBe('kept');
    });
  }, 120_000);
});
