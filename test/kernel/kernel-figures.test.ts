/**
 * Figures as a notebook shows them, through a real kernel process: every figure a cell leaves
 * open comes back as an image whatever the last expression, each picture once, and pyplot is
 * left with no figure. The protocol's `result` is the last image when the cell has no other value
 * (the pool sends it as Azure's image value); the contract then keeps it in `images` only.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHostKernel } from '../../src/kernel/host-process.js';
import { KernelClient } from '../../src/kernel/kernel-client.js';
import type { KernelResponse } from '../../src/kernel/types.js';

const PLT = 'import matplotlib\nmatplotlib.use("Agg")\nimport matplotlib.pyplot as plt\n';

describe('kernel figures', () => {
  let dataDir: string;
  let client: KernelClient;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'tidepool-kernel-figures-'));
    client = new KernelClient(startHostKernel({ pythonPath: '/usr/bin/python3', dataDir }));
    await client.ping();
  });
  afterAll(async () => {
    client.kill();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function run(code: string): Promise<KernelResponse> {
    const response = await client.execute(code, { timeoutMs: 60_000 });
    expect(response.error).toBeNull();
    for (const image of response.images) expect(Buffer.from(image.base64_data, 'base64').subarray(1, 4).toString('latin1')).toBe('PNG');
    return response;
  }

  async function openFigures(): Promise<number> {
    return (await run('len(plt.get_fignums())')).result as number;
  }

  it('returns a figure left open beside another last expression, and the value', async () => {
    const response = await run(`${PLT}plt.plot([1, 2]); 6 * 7`);
    expect(response).toMatchObject({ hasResult: true, result: 42, repr: '42' });
    expect(response.images).toHaveLength(1);
    expect(await openFigures()).toBe(0);
  });

  it('returns every open figure in order, and the last as the value when there is no other', async () => {
    const response = await run(`${PLT}plt.figure(); plt.plot([1, 2])\nplt.figure(); plt.plot([2, 1])`);
    expect(response.images).toHaveLength(2);
    expect(response.images[0]!.base64_data).not.toBe(response.images[1]!.base64_data);
    expect(response.result).toEqual(response.images[1]);
  });

  it('shows a figure that display() already showed only once', async () => {
    const response = await run(`${PLT}fig = plt.figure(); plt.plot([3, 1])\ndisplay(fig)\n'shown'`);
    expect(response.result).toBe('shown');
    expect(response.images).toHaveLength(1);
    expect(await openFigures()).toBe(0);
  });

  it('shows a figure that is the last expression once, also when pyplot does not hold it', async () => {
    const open = await run(`${PLT}fig, ax = plt.subplots(); ax.plot([1, 3])\nfig`);
    expect(open.images).toHaveLength(1);
    expect(open.result).toEqual(open.images[0]);
    const detached = await run('from matplotlib.figure import Figure\nfig = Figure(); fig.add_subplot().plot([2, 5])\nfig');
    expect(detached.images).toHaveLength(1);
    const closed = await run(`${PLT}fig = plt.figure(); plt.plot([4, 1]); plt.close(fig)\nfig`);
    expect(closed.images).toHaveLength(1);
  });

  it('returns the figures of a cell that raised, with its error', async () => {
    const response = await client.execute(`${PLT}plt.plot([1, 2])\n1 / 0`, { timeoutMs: 60_000 });
    expect(response.error?.type).toBe('ZeroDivisionError');
    expect(response.images).toHaveLength(1);
    expect(await openFigures()).toBe(0);
  });
});
