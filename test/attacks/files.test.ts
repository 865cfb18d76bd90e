/**
 * Attacks on the file API from inside a session: a FIFO planted in /mnt/data (a reader of it
 * blocks forever), a file name that is not UTF-8, and a file rewritten while it is downloaded.
 * The file API must answer quickly, say what is wrong, never send a mix of two files, and keep
 * working for the session's other files.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fileNames, GEN1, HttpTimeout, type HttpAnswer } from './support/client.js';
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

  /** A streaming GET of a session file (the attack client reads whole answers). */
  async function openDownload(identifier: string, name: string): Promise<{ length: number; reader: ReadableStreamDefaultReader<Uint8Array> }> {
    const url = `${ctx.server.url}/files/content/${encodeURIComponent(name)}?api-version=${GEN1}&identifier=${encodeURIComponent(identifier)}`;
    const response = await fetch(url, { headers: ctx.server.key ? { authorization: `Bearer ${ctx.server.key}` } : {}, signal: AbortSignal.timeout(60_000) });
    expect(response.status, `GET ${name}`).toBe(200);
    return { length: Number(response.headers.get('content-length')), reader: response.body!.getReader() };
  }

  it('D1: a download of many ranges arrives whole, and file calls go on while its reader waits', async () => {
    await guarded(ctx, async () => {
      const attacker = ctx.id('d1');
      const made = await ctx.probe<{ size: number; sha256: string }>(
        attacker,
        "import hashlib, json, os\ndata = os.urandom(3 * 1024 * 1024 + 12345)\nopen('/mnt/data/many.bin', 'wb').write(data)\njson.dumps({'size': len(data), 'sha256': hashlib.sha256(data).hexdigest()})",
      );
      const { length, reader } = await openDownload(attacker, 'many.bin');
      expect(length).toBe(made.size);
      const hash = createHash('sha256');
      const first = await reader.read();
      hash.update(first.value!);
      // The reader waits: the session's file channel is free for others.
      expect((await ctx.client.upload(attacker, 'meanwhile.txt', 'meanwhile', 30_000)).status).toBe(200);
      expect((await ctx.client.download1(attacker, 'meanwhile.txt')).text).toBe('meanwhile');
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) hash.update(chunk.value);
      expect(hash.digest('hex')).toBe(made.sha256);
    });
  }, 120_000);

  it('D2: a file the session replaces during its download ends the transfer short, never with the new bytes', async () => {
    await guarded(ctx, async () => {
      const attacker = ctx.id('d2');
      const mb = 1024 * 1024;
      // Large enough that what the server and the sockets read ahead cannot hold all of it.
      await ctx.probe(attacker, `import json\nwith open('/mnt/data/swap.bin', 'wb') as f:\n    for _ in range(48):\n        f.write(b'A' * ${mb})\njson.dumps({})`);
      const { length, reader } = await openDownload(attacker, 'swap.bin');
      expect(length).toBe(48 * mb);
      let received = 0;
      let foreign = 0;
      const take = (bytes: Uint8Array) => {
        received += bytes.length;
        foreign += bytes.filter((byte) => byte !== 0x41).length;
      };
      take((await reader.read()).value!);
      await ctx.probe(
        attacker,
        `import json, os\nwith open('/mnt/data/swap.new', 'wb') as f:\n    for _ in range(48):\n        f.write(b'B' * ${mb})\nos.replace('/mnt/data/swap.new', '/mnt/data/swap.bin')\njson.dumps({})`,
      );
      let failure: unknown;
      try {
        for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) take(chunk.value);
      } catch (error) {
        failure = error;
      }
      expect(failure, 'the transfer broke').toBeDefined();
      expect(received).toBeLessThan(length);
      expect(foreign, 'bytes of the replacing file').toBe(0);
      await expect.poll(() => ctx.server.stderr, { timeout: 10_000 }).toContain('swap.bin\\" changed while it was downloaded (it was replaced by another file)');
      const again = await ctx.client.download1(attacker, 'swap.bin', 60_000);
      expect({ status: again.status, bytes: again.bytes, start: again.text.slice(0, 4) }, 'a new download gets the new file').toEqual({ status: 200, bytes: length, start: 'BBBB' });
    });
  }, 120_000);
});
