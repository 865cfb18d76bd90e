/**
 * Does the ready-session refill keep up with a burst? 100 new identifiers arrive within one
 * second (one every 10 ms, each a first execution), and each is timed from its request to its
 * first result. Each repetition gets a fresh pool at rest, with its default 4 ready sessions (a pool
 * that has just served a burst keeps more ready for a while), so most of the burst is served by
 * sessions forked while it is under way.
 */
import { percentile, Repetitions } from '../stats.js';
import { execute, startBenchPool, waitForReady } from '../support/pool-client.js';
import type { BenchSuite } from '../types.js';

const BURST = 100;
const BURST_SECONDS = 1;
const READY_SESSIONS = 4;
/** A burst is long; three of them show whether one was a fluke. */
const MAX_REPETITIONS = 3;

export const burstSuite: BenchSuite = {
  name: 'burst',
  description: `Burst: ${BURST} new identifiers in ${BURST_SECONDS} s against a pool with ${READY_SESSIONS} ready sessions, time to first result`,
  async run(context) {
    const reps = new Repetitions();
    const all: number[] = [];
    const repetitions = Math.min(context.repetitions, MAX_REPETITIONS);
    for (let rep = 1; rep <= repetitions; rep++) {
      const server = await startBenchPool({ readySessions: READY_SESSIONS, maxSessions: BURST + 20 });
      try {
        await execute(server, 'burst-warmup');
        await server.sessionManager.deleteSession('burst-warmup');
        await waitForReady(server, READY_SESSIONS);
        context.log(`burst: repetition ${rep}/${repetitions}`);
        const gapMs = (BURST_SECONDS * 1000) / BURST;
        const ids = Array.from({ length: BURST }, (_, i) => `burst-${rep}-${i}`);
        const burstStarted = performance.now();
        const times = await Promise.all(
          ids.map(async (id, i) => {
            // Each request leaves on its own schedule, whatever the others are doing.
            const due = burstStarted + i * gapMs;
            await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - performance.now())));
            const started = performance.now();
            await execute(server, id);
            return performance.now() - started;
          }),
        );
        all.push(...times);
        reps.add('p50', percentile(times, 50));
        reps.add('p99', percentile(times, 99));
        reps.add('seconds', (performance.now() - burstStarted) / 1000);
      } finally {
        await server.close();
      }
    }
    context.plot({ kind: 'distribution', name: `first result in a burst of ${BURST}`, unit: 'ms', samples: all });
    return {
      'burst.first_result_p50_ms': reps.metric('p50', { unit: 'ms', digits: 1 }),
      'burst.first_result_p99_ms': reps.metric('p99', { unit: 'ms', digits: 1, target: 100 }),
      'burst.all_answered_s': reps.metric('seconds', { unit: 's', digits: 2 }),
    };
  },
};
