import { createServer } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { createLocalSandbox } from '../../src/sandbox/backends/local/local-sandbox.js';
import { researchWeather } from '../../src/tools/research-weather.js';
import type { ResearchWeatherOutput } from '../../src/tools/types.js';
import type { OpenMeteoReplay } from '../support/open-meteo-replay.js';
import { startWeatherReplay, TODAY } from './helpers.js';

let replay: OpenMeteoReplay;
const sandbox = createLocalSandbox();

beforeAll(async () => {
  replay = await startWeatherReplay();
});
afterAll(async () => {
  await sandbox.close();
  await replay.close();
});
afterEach(() => {
  replay.clearFaults();
  expect(replay.unknown).toEqual([]);
  replay.requests.length = 0;
});

function research(destination: string, dates?: string, timeoutSeconds = 5): Promise<ResearchWeatherOutput> {
  return researchWeather({ destination, dates }, { sandbox }, { today: TODAY, openMeteo: replay.options({ timeoutSeconds, retryDelaySeconds: 0.05 }) });
}

/** The one readable line a failed place ends with; never a traceback. */
function failure(output: ResearchWeatherOutput): string {
  expect(output.text).not.toMatch(/Traceback|File "<cell|\bline \d+, in\b/);
  const report = output.data.places[0];
  if (!report || report.ok) throw new Error(`expected a failed place, got ${output.text}`);
  expect(output.text).toContain(`⚠️ ${report.message}`);
  return report.message;
}

const FORECAST = '/v1/forecast';

describe('every Open-Meteo failure ends as a short message in the output', () => {
  test('429 is retried once, then reported with the server reason', async () => {
    replay.inject({ path: FORECAST, fault: { kind: 'status', status: 429, body: { error: true, reason: 'Minutely API request limit exceeded. Please try again in one minute.' } } });
    const message = failure(await research('Tokyo'));
    expect(message).toBe('Open-Meteo forecast is busy or rate limiting (HTTP 429: Minutely API request limit exceeded. Please try again in one minute). Wait a minute and try again.');
    expect(replay.requests.filter((r) => r.path === FORECAST)).toHaveLength(2);
  });

  test('a single 429 (honouring Retry-After) is absorbed by the retry', async () => {
    replay.inject({ path: FORECAST, times: 1, fault: { kind: 'status', status: 429, headers: { 'retry-after': '0' } } });
    const output = await research('Tokyo');
    expect(output.data.places[0]?.ok).toBe(true);
    expect(replay.requests.filter((r) => r.path === FORECAST).map((r) => r.status)).toEqual([429, 200]);
  });

  test('HTTP 500 and 400 carry the reason', async () => {
    replay.inject({ path: FORECAST, fault: { kind: 'status', status: 500, body: { reason: 'Something went wrong.', error: true } } });
    expect(failure(await research('Tokyo'))).toBe('Open-Meteo forecast answered HTTP 500: Something went wrong.');
    replay.clearFaults();
    replay.inject({ path: '/v1/search', fault: { kind: 'status', status: 400, body: { error: true, reason: 'Parameter count must be between 1 and 100.' } } });
    expect(failure(await research('Tokyo'))).toBe('Open-Meteo geocoding answered HTTP 400: Parameter count must be between 1 and 100.');
  });

  test('an error page that is not JSON', async () => {
    replay.inject({ path: FORECAST, fault: { kind: 'status', status: 502, body: '<html>Bad Gateway</html>' } });
    expect(failure(await research('Tokyo'))).toBe('Open-Meteo forecast answered HTTP 502: Bad Gateway.');
  });

  test('HTTP 200 with a body that is not JSON (streaming error, nan coordinates)', async () => {
    replay.inject({ path: FORECAST, times: 1, fault: { kind: 'malformed' } });
    expect(failure(await research('Tokyo'))).toBe("Open-Meteo forecast sent a response that is not valid JSON ('Unexpected error while streaming data: timeoutReached'); try again later.");
    replay.inject({ path: FORECAST, fault: { kind: 'malformed', body: '{"latitude":nan,"longitude":nan}' } });
    expect(failure(await research('Tokyo'))).toContain('not valid JSON');
  });

  test('JSON in an unexpected shape', async () => {
    replay.inject({ path: FORECAST, fault: { kind: 'status', status: 200, body: { latitude: 35.7, longitude: 139.7 } } });
    expect(failure(await research('Tokyo'))).toBe('Open-Meteo forecast sent data in an unexpected shape (no daily section); try again later.');
    replay.clearFaults();
    replay.inject({ path: '/v1/search', fault: { kind: 'status', status: 200, body: ['not', 'an', 'object'] } });
    expect(failure(await research('Tokyo'))).toBe('Open-Meteo geocoding sent data in an unexpected shape; try again later.');
  });

  test('a server that never answers hits the per-request timeout', async () => {
    replay.inject({ path: FORECAST, fault: { kind: 'hang' } });
    expect(failure(await research('Tokyo', undefined, 0.5))).toBe('Open-Meteo forecast did not answer within 0.5 s; try again later.');
  });

  test('nothing listening at the configured URL', async () => {
    const port = await closedPort();
    const output = await researchWeather(
      { destination: 'Tokyo' },
      { sandbox },
      { today: TODAY, openMeteo: { geocodingUrl: `http://127.0.0.1:${port}`, forecastUrl: replay.url, archiveUrl: replay.url, timeoutSeconds: 2 } },
    );
    expect(failure(output)).toMatch(/^Could not reach Open-Meteo geocoding \(.*refused.*\); check the network or the OPEN_METEO_\*_URL settings\.$/);
  });

  test('nulls in the forecast show as n/a and are skipped by the tips', async () => {
    replay.inject({ path: FORECAST, fault: { kind: 'nulls' } });
    const output = await research('Tokyo');
    const report = output.data.places[0];
    expect(report?.ok).toBe(true);
    expect(output.text).toContain('📅 Current: 🌡️ Unknown conditions, n/a, feels like n/a, wind n/a');
    expect(output.text).toMatch(/🌡️ Unknown conditions: high n\/a \/ low n\/a, precipitation n\/a/);
    expect(output.text).toContain('👔 Packing Tips:');
  });

  test('nulls in the archive: years with too many missing days are left out of typical weather', async () => {
    replay.inject({ path: '/v1/archive', fault: { kind: 'nulls', fields: ['temperature_2m_max'] } });
    const output = await research('Tokyo', 'August 2025');
    const report = output.data.places[0];
    expect(report?.ok && report.typical).toMatchObject({ yearsUsed: [], summary: null });
    expect(report?.ok && report.typical?.yearsSkipped[0]).toEqual({ year: 2024, reason: '31 of 31 days missing' });
    expect(output.text).toContain('📊 Typical weather for August 2025: no reference years with complete data in the archive.');
  });
});

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
