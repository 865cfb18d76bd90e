/**
 * Huge answers: cells whose value is a 150 MB string, through every execution route at once
 * (gen-1 sync, gen-2 sync, gen-2 async whose results the server keeps for polling), and a
 * directory of 400 000 files for the file API to list. The server must cut each answer down
 * (a result truncated with a marker, a listing bounded in size), stay responsive and keep its own
 * memory bounded. Sessions get enough memory here (1536 MB) for the value to be built and the
 * files to be made, so the server is what gets tested, not the session's own limit.
 */
import { describe, expect, it } from 'vitest';
import { sleep, type Execution } from './support/client.js';
import { describeExecution, guarded, useAttackPool } from './support/fixture.js';
import { cell } from './support/python.js';

const MB = 1024 * 1024;
const HUGE = "'x' * (150 * 1024 * 1024)";
const SERVER_RSS_LIMIT = 1.5 * 1024 * MB;

describe('huge answers (1536 MB per session)', () => {
  const ctx = useAttackPool({ egress: false, maxSessions: 5, readySessions: 1, memoryMb: 1536, maxExecutionSeconds: 120 });

  it('H1: twelve cells returning 150 MB strings are each truncated with a marker while the server stays small and responsive', async () => {
    await guarded(ctx, async () => {
      const server = ctx.server;
      let maxRss = await server.rssBytes();
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          maxRss = Math.max(maxRss, await server.rssBytes());
          await sleep(100);
        }
      })();
      const routes: Array<[string, (identifier: string) => Promise<Execution>]> = [
        ['gen-1 sync', (identifier) => ctx.client.exec1(identifier, HUGE, { timeoutInSeconds: 120, httpTimeoutMs: 240_000 })],
        ['gen-2 sync', (identifier) => ctx.client.exec2(identifier, HUGE, { timeoutInSeconds: 120, httpTimeoutMs: 240_000 })],
        ['gen-2 async', (identifier) => ctx.client.exec2(identifier, HUGE, { asynchronous: true, timeoutInSeconds: 120, httpTimeoutMs: 240_000 })],
      ];
      const problems: string[] = [];
      try {
        await Promise.all(
          routes.map(async ([route, run]) => {
            const identifier = ctx.id('h1');
            for (let cell = 1; cell <= 4; cell++) {
              const label = `${route} #${cell}`;
              let execution: Execution;
              try {
                execution = await run(identifier);
              } catch (error) {
                problems.push(`${label}: ${(error as Error).message}`);
                continue;
              }
              if (execution.bytes > 8 * MB) {
                problems.push(`${label}: a ${(execution.bytes / MB).toFixed(1)} MB answer`);
              } else if (!execution.ok || typeof execution.result !== 'string') {
                problems.push(`${label}: ${describeExecution(execution)}`);
              } else if (execution.result.length > 8 * MB || !/truncat/i.test(execution.result.slice(-4096) + execution.result.slice(0, 4096))) {
                problems.push(`${label}: a ${execution.result.length}-character result without a truncation marker`);
              }
            }
          }),
        );
      } finally {
        sampling = false;
        await sampler;
      }
      expect.soft(problems, 'results that were not truncated with a marker').toEqual([]);
      expect.soft(maxRss / MB, 'peak resident memory of the server process (MB)').toBeLessThan(SERVER_RSS_LIMIT / MB);
    });
  }, 600_000);

  it('M5: listing a directory of 400 000 files answers within a few seconds with a bounded body', async () => {
    await guarded(ctx, async () => {
      const attacker = ctx.id('m5');
      const made = await ctx.probe<{ made: number; error: string | null; seconds: number }>(
        attacker,
        cell(String.raw`
os.makedirs("/mnt/data/many", exist_ok=True)
started, made, error = time.monotonic(), 0, None
try:
    while made < 400000 and time.monotonic() - started < 60:
        for _ in range(1000):
            os.close(os.open("/mnt/data/many/f%06d" % made, os.O_CREAT | os.O_WRONLY, 0o644))
            made += 1
except OSError as exc:
    error = _errname(exc.errno)
json.dumps({"made": made, "error": error, "seconds": round(time.monotonic() - started, 1)})
`),
        { timeoutInSeconds: 120, httpTimeoutMs: 180_000 },
      );
      const listings = {
        'GET files (gen-1)': () => ctx.client.list1(attacker, 30_000),
        'GET files?path=many (gen-2)': () => ctx.client.list2(attacker, { path: 'many', timeoutMs: 30_000 }),
        'GET files?recursive=true (gen-2)': () => ctx.client.list2(attacker, { recursive: true, timeoutMs: 30_000 }),
      };
      const problems: string[] = [];
      for (const [name, list] of Object.entries(listings)) {
        try {
          const answer = await list();
          if (answer.elapsedMs > 5_000) problems.push(`${name}: took ${Math.round(answer.elapsedMs)} ms`);
          if (answer.bytes > 8 * MB) problems.push(`${name}: ${(answer.bytes / MB).toFixed(1)} MB body`);
          if (answer.status !== 200 && answer.status < 400) problems.push(`${name}: HTTP ${answer.status}`);
        } catch (error) {
          problems.push(`${name}: ${(error as Error).message}`);
        }
      }
      expect(problems, `listings of ${made.made} files (made in ${made.seconds} s${made.error ? `, stopped by ${made.error}` : ''})`).toEqual([]);
    });
  }, 300_000);
});
