/**
 * The reference peer: a local Jupyter kernel (Debian's ipykernel + jupyter_client), driven by
 * BlockingKernelClient from a small Python script, timed the same way as the pool.
 */
import { spawn } from 'node:child_process';
import { round } from '../stats.js';
import type { BenchSuite } from '../types.js';

const SCRIPT = String.raw`
import json, statistics, sys, time
from jupyter_client.manager import start_new_kernel
started = time.perf_counter()
km, kc = start_new_kernel(kernel_name="python3", startup_timeout=60)
start_ms = (time.perf_counter() - started) * 1000
try:
    def run():
        kc.execute_interactive("1", timeout=30, output_hook=lambda msg: None)
    for _ in range(50):
        run()
    times = []
    for _ in range(int(sys.argv[1])):
        t = time.perf_counter()
        run()
        times.append((time.perf_counter() - t) * 1000)
    print(json.dumps({"start_ms": start_ms, "p50_ms": statistics.median(times)}))
finally:
    kc.stop_channels()
    km.shutdown_kernel(now=True)
`;

function runScript(python: string, samples: number): Promise<{ start_ms: number; p50_ms: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, ['-c', SCRIPT, String(samples)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`the Jupyter bench script failed (exit ${code}); is python3-ipykernel installed? ${stderr.trim().split('\n').slice(-3).join(' | ')}`));
      try {
        resolve(JSON.parse(stdout.trim().split('\n').pop()!));
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
    context.log('jupyter: starting a kernel and timing 500 warm trivial cells');
    const result = await runScript(python, 500);
    return {
      'jupyter.exec_warm_p50_ms': { value: round(result.p50_ms), unit: 'ms' },
      'jupyter.kernel_start_ms': { value: round(result.start_ms, 1), unit: 'ms' },
    };
  },
};
