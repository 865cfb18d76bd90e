/**
 * The same research on Local, Sandbox-Pool (embedded pool, egress on) and Sandbox-ACA (the ACA
 * client against an in-process Tidepool pool): the structured answers must agree exactly.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startPoolServer, type RunningPoolServer } from '../../src/pool/index.js';
import { createAcaSandbox } from '../../src/sandbox/backends/aca/index.js';
import { createLocalSandbox } from '../../src/sandbox/backends/local/local-sandbox.js';
import { createPoolSandbox } from '../../src/sandbox/backends/pool/index.js';
import type { Sandbox } from '../../src/sandbox/types.js';
import { chartWeather } from '../../src/tools/chart-weather.js';
import { researchWeather } from '../../src/tools/research-weather.js';
import type { OpenMeteoReplay } from '../support/open-meteo-replay.js';
import { startWeatherReplay, TODAY } from './helpers.js';

let replay: OpenMeteoReplay;
let acaPool: RunningPoolServer;
const sandboxes: Record<string, Sandbox> = {};

beforeAll(async () => {
  replay = await startWeatherReplay();
  const key = randomBytes(16).toString('hex');
  acaPool = await startPoolServer({ port: 0, egress: true, egressAllow: replay.egressAllow, readySessions: 1, apiKeys: [key] });
  sandboxes.local = createLocalSandbox();
  sandboxes.pool = createPoolSandbox({ pool: { egress: true, egressAllow: replay.egressAllow, readySessions: 1 } });
  sandboxes.aca = createAcaSandbox({ poolManagementEndpoint: acaPool.url, accessToken: key, env: {} });
}, 120_000);

afterAll(async () => {
  await Promise.all(Object.values(sandboxes).map((sandbox) => sandbox.close()));
  await acaPool?.close();
  await replay?.close();
});

const CASES = [
  { destination: 'Paris', dates: undefined },
  { destination: 'Paris', dates: 'July 2024' },
  { destination: 'Paris, France and Tokyo', dates: 'August 2025' },
  { destination: 'Xqzzyville', dates: undefined },
];

describe('one answer whatever the backend', () => {
  test.each(CASES)('$destination / $dates', async (input) => {
    const outputs = await Promise.all(
      Object.entries(sandboxes).map(async ([name, sandbox]) => [name, await researchWeather(input, { sandbox }, { today: TODAY, openMeteo: replay.options() })] as const),
    );
    const byName = Object.fromEntries(outputs);
    expect(byName.local!.sandboxType).toBe('Local');
    expect(byName.pool!.sandboxType).toBe('Sandbox-Pool');
    expect(byName.aca!.sandboxType).toBe('Sandbox-ACA');
    expect(byName.local!.data.error).toBeUndefined();
    for (const name of ['pool', 'aca']) expect(byName[name]!.data).toEqual(byName.local!.data);
    // Banners differ (none for Local), the rest of the text is the same.
    expect(byName.pool!.text).toBe(`🌊 [Tidepool Pool Sandbox]\n${byName.local!.text}`);
    expect(byName.aca!.text).toBe(`☁️ [Azure Container Apps Sandbox]\n${byName.local!.text}`);
    expect(replay.unknown).toEqual([]);
  });

  test('chart_weather draws in the pool session and downloads the PNG through its files API', async () => {
    const output = await chartWeather({ places: ['Paris, France', 'Tokyo'], dates: 'August 2025' }, { sandbox: sandboxes.pool! }, { today: TODAY, openMeteo: replay.options() });
    expect(output.text).toContain('📈 Daily high/low and precipitation — August 2025');
    expect(Buffer.from(output.png.subarray(0, 8)).toString('hex')).toBe('89504e470d0a1a0a');
    expect(output.png.length).toBeGreaterThan(10_000);
  });
});
