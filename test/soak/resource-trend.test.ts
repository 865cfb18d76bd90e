/** The soak's verdict on server resources: flat only when memory, descriptors and threads stop growing. */
import { describe, expect, it } from 'vitest';
import { resourceTrend } from './support/soak-run.js';

const MB = 1024 * 1024;
const series = (count: number, at: (index: number) => { rssMb: number; descriptors: number; threads: number }) =>
  Array.from({ length: count }, (_, index) => {
    const { rssMb, descriptors, threads } = at(index);
    return { atMs: index * 1000, rssBytes: rssMb * MB, descriptors, threads };
  });

describe('resourceTrend', () => {
  it('calls a warm-up followed by a plateau with garbage-collector noise flat', () => {
    const trend = resourceTrend(series(40, (index) => ({ rssMb: Math.min(100 + index * 5, 150) + (index % 3) * 4, descriptors: 50 + (index % 2), threads: 11 })));
    expect(trend).toMatchObject({ judged: true, flat: true });
  });

  it('calls steadily growing memory, descriptors or threads not flat', () => {
    expect(resourceTrend(series(40, (index) => ({ rssMb: 100 + index * 10, descriptors: 50, threads: 11 }))).flat).toBe(false);
    expect(resourceTrend(series(40, (index) => ({ rssMb: 100, descriptors: 50 + index * 2, threads: 11 }))).flat).toBe(false);
    expect(resourceTrend(series(40, (index) => ({ rssMb: 100, descriptors: 50, threads: 11 + index }))).flat).toBe(false);
  });

  it('does not judge a run with too few samples', () => {
    expect(resourceTrend(series(6, () => ({ rssMb: 100, descriptors: 50, threads: 11 })))).toMatchObject({ judged: false, flat: false });
  });
});
