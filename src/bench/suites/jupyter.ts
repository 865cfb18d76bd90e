/**
 * The reference peer: a local Jupyter kernel (Debian's ipykernel + jupyter_client), driven by
 * BlockingKernelClient from a small Python script, timed the same way as the pool. Each
 * repetition starts a fresh kernel (timed) and times warm trivial cells in it.
 */
import { spawn } from 'node:child_process';
import { percentile, Repetitions } from '../stats.js';
import type { BenchSuite } from '../types.js';

const WARM_CELLS = 300;

const SCRIPT = String.raw`
import json, sys, time
from jupyter_client.manager import start_new_kernel
repetitions, cells = int(sys.argv[1]), int(sys.argv[2])
runs = []
for _ in range(repetitions):
    started = time.perf_counter()
    km, kc = start_new_kernel(kernel_name="python3", startup_timeout=60)
    start_ms = (time.perf_counter() - started) * 1000
    try:
        def run():
            kc.execute_interactive("1", timeout=30, output_hook=lambda msg: None)
        for _ in range(50):
            run()
        times = []
        for _ in range(cells):
            t = time.perf_counter()
            run()
            times.append((time.perf_counter() - t) * 1000)
        runs.append({"start_ms": start_ms, "times_ms": times})
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
print(json.dumps(runs))
`;

interface PeerRun {
  start_ms: number;
  times_ms: number[];
}

function runScript(python: string, repetitions: number, cells: number): Promise<PeerRun[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, ['-c', SCRIPT, String(repetitions), String(cells)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) {
        const why = stderr.trim().split('\n').slice(-3).join(' | ');
        return reject(
          new Error(
            `the Jupyter peer could not run (exit ${code}): ${why}. It needs ipykernel and jupyter_client for ${python}: \`npx tidepool setup\` installs them (apt: python3-ipykernel python3-jupyter-client), or set TIDEPOOL_PYTHON to an interpreter that has them.`,
          ),
        );
      }
      try {
        resolve(JSON.parse(stdout.trim().split('\n').pop()!) as PeerRun[]);
      } catch (error) {
        reject(error as Error);
      }
    });
  });
}

export const jupyterSuite: BenchSuite = {
  name: 'jupyter',
  description: 'Reference peer: local Jupyter kernel (ipykernel + jupyter_client), warm trivial cell and kernel start',
  async run(context) {
    const python = context.env.TIDEPOOL_PYTHON ?? '/usr/bin/python3';
    context.log(`jupyter: ${context.repetitions} kernels, each started (timed) and given ${WARM_CELLS} warm trivial cells`);
    const runs = await runScript(python, context.repetitions, WARM_CELLS);
    const reps = new Repetitions();
    for (const run of runs) {
      reps.add('start', run.start_ms);
      reps.add('warm_p50', percentile(run.times_ms, 50));
    }
    context.plot({ kind: 'distribution', name: 'warm cell, Jupyter kernel', unit: 'ms', samples: runs.flatMap((run) => run.times_ms) });
    return {
      'jupyter.exec_warm_p50_ms': reps.metric('warm_p50', { unit: 'ms' }),
      'jupyter.kernel_start_ms': reps.metric('start', { unit: 'ms', digits: 1 }),
    };
  },
};
