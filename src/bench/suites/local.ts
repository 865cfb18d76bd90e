/** The Local backend: the floor every other backend is compared with. */
import { createLocalSandbox } from '../../sandbox/backends/local/local-sandbox.js';
import { percentile, Repetitions, sample } from '../stats.js';
import type { BenchSuite } from '../types.js';

const STARTS = 4;
const WARM_CELLS = 500;

export const localSuite: BenchSuite = {
  name: 'local',
  description: 'Local backend: warm trivial cell round trip and session start',
  async run(context) {
    const sandbox = createLocalSandbox();
    const reps = new Repetitions();
    const warmSamples: number[] = [];
    try {
      const session = sandbox.session();
      await session.execute('1');
      await sample(200, () => session.execute('1'));
      for (let rep = 1; rep <= context.repetitions; rep++) {
        context.log(`local: repetition ${rep}/${context.repetitions}: ${STARTS} session starts, ${WARM_CELLS} warm cells`);
        const starts = await sample(STARTS, async () => {
          const fresh = sandbox.session();
          await fresh.execute('1');
          await fresh.close();
        });
        const warm = await sample(WARM_CELLS, () => session.execute('1'), 20);
        warmSamples.push(...warm);
        reps.add('start', percentile(starts, 50));
        reps.add('warm_p50', percentile(warm, 50));
        reps.add('warm_p99', percentile(warm, 99));
      }
    } finally {
      await sandbox.close();
    }
    context.plot({ kind: 'distribution', name: 'warm cell, Local', unit: 'ms', samples: warmSamples });
    return {
      'local.exec_warm_p50_ms': reps.metric('warm_p50', { unit: 'ms', target: 0.5 }),
      'local.exec_warm_p99_ms': reps.metric('warm_p99', { unit: 'ms' }),
      'local.session_start_ms': reps.metric('start', { unit: 'ms', digits: 1 }),
    };
  },
};
