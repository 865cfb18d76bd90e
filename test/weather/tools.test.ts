import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createChartWeatherTool, createResearchWeatherTool } from '../../src/tools/index.js';
import type { LifecycleEvent } from '../../src/sandbox/lifecycle.js';
import type { OpenMeteoReplay } from '../support/open-meteo-replay.js';
import { startWeatherReplay, TODAY } from './helpers.js';

let replay: OpenMeteoReplay;
beforeAll(async () => {
  replay = await startWeatherReplay();
});
afterAll(async () => {
  await replay.close();
});

describe('tool factories route by sandbox name', () => {
  test('research_weather on "local": schema, run, lifecycle events for that run, session closed after', async () => {
    const tool = createResearchWeatherTool('local', { today: TODAY, openMeteo: replay.options() });
    try {
      expect(tool.name).toBe('research_weather');
      expect(tool.sandboxType).toBe('Local');
      expect(tool.inputSchema.safeParse({ destination: 'Paris', dates: 'May' }).success).toBe(true);
      expect(tool.inputSchema.safeParse({ dates: 'May' }).success).toBe(false);
      const events: LifecycleEvent[] = [];
      const output = await tool.run({ destination: 'Paris' }, { onLifecycle: (event) => events.push(event) });
      expect(output.text.split('\n')[0]).toBe('🌍 Weather for Paris, Île-de-France, France');
      expect(events.map((e) => e.phase)).toEqual(['creating', 'ready', 'executing', 'finished', 'closed']);
      expect(output.timings.executionMs).toBeGreaterThan(0);
    } finally {
      await tool.close();
    }
  });

  test('canonical names work too, unknown names are refused at creation', () => {
    expect(createResearchWeatherTool('Sandbox-Pool').sandboxType).toBe('Sandbox-Pool');
    expect(() => createResearchWeatherTool('docker')).toThrow(/Unknown sandbox "docker"/);
  });

  test('an unconfigured backend answers with the reason, it does not throw', async () => {
    const tool = createResearchWeatherTool('aca', { today: TODAY, sandboxOptions: { aca: { env: {} } } });
    const output = await tool.run({ destination: 'Paris' });
    expect(output.sandboxType).toBe('Sandbox-ACA');
    expect(output.text).toMatch(/^⚠️ The Sandbox-ACA sandbox could not run the weather program: .*ACA_POOL_MANAGEMENT_ENDPOINT/);
    await tool.close();
  });

  test('chart_weather returns PNG bytes downloaded from the session', async () => {
    const tool = createChartWeatherTool('local', { today: TODAY, openMeteo: replay.options() });
    try {
      const output = await tool.run({ places: ['Paris', 'Miami', 'Tokyo'], dates: 'current' });
      expect(output.text).toContain('📈 Daily high/low and precipitation — next 5 days');
      expect(output.text).toContain('  • Miami, Florida, United States');
      expect(output.fileName).toMatch(/^tidepool-weather-chart-[0-9a-f]{8}\.png$/);
      expect(Buffer.from(output.png.subarray(0, 8)).toString('hex')).toBe('89504e470d0a1a0a');
      if (process.env.TIDEPOOL_KEEP_CHART) (await import('node:fs')).writeFileSync(process.env.TIDEPOOL_KEEP_CHART, output.png);
      const tooMany = await tool.run({ places: ['A', 'B', 'C', 'D', 'E'] });
      expect(tooMany.text).toBe('⚠️ Chart at most 4 places.');
      const nowhere = await tool.run({ places: ['Xqzzyville'] });
      expect(nowhere.text).toContain('⚠️ No chart: none of the places had weather data.');
      expect(nowhere.png.length).toBe(0);
    } finally {
      await tool.close();
    }
    expect(replay.unknown).toEqual([]);
  });
});
