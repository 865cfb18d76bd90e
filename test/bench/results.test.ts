/** The bench's bookkeeping: medians and spreads over repetitions, peer ratios, verdicts, plots. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { renderSuite } from '../../src/bench/plot.js';
import { peerRatios } from '../../src/bench/ratios.js';
import { writeResults } from '../../src/bench/results.js';
import { median, percentile, Repetitions, summarise } from '../../src/bench/stats.js';

describe('bench statistics', () => {
  it('takes the median of the repetitions and records their spread and count', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(summarise([0.61, 0.48, 0.52, 0.9, 0.5], { unit: 'ms', target: 0.5 })).toEqual({
      value: 0.52,
      unit: 'ms',
      target: 0.5,
      better: 'lower',
      spread: { min: 0.48, max: 0.9 },
      repetitions: 5,
    });
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99)).toBe(10);
  });

  it('refuses a metric that was never measured', () => {
    const reps = new Repetitions();
    reps.add('warm', 1);
    expect(() => reps.metric('cold', { unit: 'ms' })).toThrow(/cold/);
    expect(reps.metric('warm', { unit: 'ms' }).value).toBe(1);
  });
});

describe('ratios to the Jupyter peer', () => {
  it('divides the peer by the pool for metrics measured in the same run, and only those', () => {
    const ratios = peerRatios({
      'pool.exec_warm_p50_ms': { value: 0.4, unit: 'ms' },
      'jupyter.exec_warm_p50_ms': { value: 6, unit: 'ms' },
      'pool.cold_start_ms': { value: 30, unit: 'ms' },
    });
    expect(ratios['pool.exec_warm_vs_jupyter']).toMatchObject({ value: 15, unit: '×', target: 12, better: 'higher' });
    expect(ratios['pool.cold_start_vs_jupyter_kernel_start']).toBeUndefined();
    expect(ratios['pool.embedded_warm_vs_jupyter']).toBeUndefined();
  });
});

describe('latest.json', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('records pass/fail per target, the targets met and missed, the load average and the CPU model', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'tidepool-bench-results-'));
    const file = await writeResults(
      dir,
      {
        fast: { value: 1, unit: 'ms', target: 2, better: 'lower' },
        slow: { value: 3, unit: 'ms', target: 2, better: 'lower' },
        many: { value: 10, unit: 'exec/s', target: 20, better: 'higher' },
        plain: { value: 7, unit: 'ms' },
      },
      { startedAt: new Date(), loadAverageAtStart: [0.5, 0.4, 0.3], repetitions: 5, suites: { x: { loadAverageAtStart: [1, 1, 1], loadAverageAtEnd: [2, 1, 1], durationSeconds: 3 } } },
    );
    const document = JSON.parse(await readFile(file, 'utf8'));
    expect(document.metrics.fast.pass).toBe(true);
    expect(document.metrics.slow.pass).toBe(false);
    expect(document.metrics.many.pass).toBe(false);
    expect(document.metrics.plain.pass).toBeUndefined();
    expect(document.targets).toEqual({ met: ['fast'], missed: ['slow', 'many'] });
    expect(document.machine.loadAverage.atStart).toEqual([0.5, 0.4, 0.3]);
    expect(document.machine.loadAverage.atEnd).toHaveLength(3);
    expect(typeof document.machine.cpuModel).toBe('string');
    // What Linux says of idle CPUs here, exactly as /sys has it (nothing where it says nothing).
    const sys = (file: string) => readFile(file, 'utf8').then((text) => text.trim(), () => undefined);
    const driver = await sys('/sys/devices/system/cpu/cpuidle/current_driver');
    const haltPoll = await sys('/sys/module/haltpoll/parameters/guest_halt_poll_ns');
    expect(document.machine.cpuIdle.driver).toBe(driver);
    expect(document.machine.cpuIdle.guestHaltPollNs).toBe(haltPoll === undefined ? undefined : Number(haltPoll));
    expect(document.run.suites.x.durationSeconds).toBe(3);
  });
});

describe('plots', () => {
  it('draws one cumulative curve per distribution and one line per series, as SVG', () => {
    const svg = renderSuite('pool', [
      { kind: 'distribution', name: 'warm <HTTP>', unit: 'ms', samples: [0.4, 0.5, 0.6, 3] },
      { kind: 'distribution', name: 'embedded', unit: 'ms', samples: [0.2, 0.3] },
      { kind: 'series', name: 'memory', xLabel: 'live sessions', unit: 'MiB', points: [{ x: 10, y: 100 }, { x: 100, y: 500 }, { x: 1000, y: 4000 }] },
    ]);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/<polyline/g)).toHaveLength(3);
    expect(svg.match(/<circle/g)).toHaveLength(3);
    expect(svg).toContain('warm &lt;HTTP&gt; (n=4)');
    expect(svg).not.toContain('NaN');
  });
});
