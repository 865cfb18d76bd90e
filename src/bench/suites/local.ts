/** The Local backend: the floor every other backend is compared with. */
import { createLocalSandbox } from '../../sandbox/backends/local/local-sandbox.js';
import { percentile, round, sample } from '../stats.js';
import type { BenchSuite } from '../types.js';

export const localSuite: BenchSuite = {
  name: 'local',
  description: 'Local backend: warm trivial cell round trip and session start',
  async run(context) {
    const sandbox = createLocalSandbox();
    try {
      const starts = await sample(10, async () => {
        const session = sandbox.session();
        await session.execute('1');
        await session.close();
      });
      const session = sandbox.session();
      await session.execute('1');
      context.log('local: timing 2000 warm trivial cells');
      const warm = await sample(2000, () => session.execute('1'), 200);
      return {
        'local.exec_warm_p50_ms': { value: round(percentile(warm, 50)), unit: 'ms', target: 0.5, better: 'lower' },
        'local.exec_warm_p99_ms': { value: round(percentile(warm, 99)), unit: 'ms' },
        'local.session_start_ms': { value: round(percentile(starts, 50), 1), unit: 'ms' },
      };
    } finally {
      await sandbox.close();
    }
  },
};
