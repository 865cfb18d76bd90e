/**
 * Ratios to the Jupyter peer, computed from metrics taken in the same run (so both sides met the
 * same machine load). Each is the peer's median over ours: above 1 means the pool is faster.
 */
import { round } from './stats.js';
import type { Metric, Metrics } from './types.js';

interface RatioSpec {
  name: string;
  ours: string;
  peer: string;
  target?: number;
}

const RATIOS: RatioSpec[] = [
  { name: 'pool.exec_warm_vs_jupyter', ours: 'pool.exec_warm_p50_ms', peer: 'jupyter.exec_warm_p50_ms', target: 12 },
  { name: 'pool.embedded_warm_vs_jupyter', ours: 'pool.embedded_warm_p50_ms', peer: 'jupyter.exec_warm_p50_ms' },
  { name: 'pool.exec_new_session_vs_jupyter_kernel_start', ours: 'pool.exec_new_session_p50_ms', peer: 'jupyter.kernel_start_ms' },
  { name: 'pool.cold_start_vs_jupyter_kernel_start', ours: 'pool.cold_start_ms', peer: 'jupyter.kernel_start_ms' },
];

/** The ratios whose two inputs were both measured in this run. */
export function peerRatios(metrics: Metrics): Metrics {
  const ratios: Metrics = {};
  for (const spec of RATIOS) {
    const ours = metrics[spec.ours];
    const peer = metrics[spec.peer];
    if (!ours || !peer || !(ours.value > 0)) continue;
    const metric: Metric = {
      value: round(peer.value / ours.value, 2),
      unit: '×',
      ...(spec.target !== undefined && { target: spec.target, better: 'higher' as const }),
      note: `${spec.peer} / ${spec.ours}, medians of the same run`,
    };
    ratios[spec.name] = metric;
  }
  return ratios;
}
