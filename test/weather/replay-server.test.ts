import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startOpenMeteoReplay, type OpenMeteoReplay } from '../support/open-meteo-replay.js';

let replay: OpenMeteoReplay;
beforeAll(async () => {
  replay = await startOpenMeteoReplay();
});
afterAll(async () => {
  await replay.close();
});

describe('the Open-Meteo replay server', () => {
  test('answers a recorded request in any parameter order (nulls inside the archive delay)', async () => {
    const response = await fetch(`${replay.url}/v1/archive?timezone=auto&daily=temperature_2m_max,precipitation_sum&end_date=2025-06-11&start_date=2025-06-06&longitude=2.3488&latitude=48.85341`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { daily: { temperature_2m_max: (number | null)[] } };
    expect(body.daily.temperature_2m_max).toEqual([21.4, 23.0, 24.7, 22.8, null, null]);
    expect(replay.unknown).toEqual([]);
  });

  test('fails loudly on a request it has no fixture for, and records it', async () => {
    const response = await fetch(`${replay.url}/v1/search?name=Atlantis&count=10`);
    expect(response.status).toBe(599);
    expect(await response.json()).toEqual({ error: true, reason: 'Replay server has no fixture for /v1/search?count=10&name=Atlantis' });
    expect(replay.unknown).toEqual([{ path: '/v1/search', query: { name: 'Atlantis', count: '10' }, status: 599 }]);
    replay.unknown.length = 0;
  });

  test('injected faults apply to matching requests, as many times as asked', async () => {
    replay.inject({ path: '/v1/search', query: { name: 'Paris' }, times: 1, fault: { kind: 'status', status: 503, body: { error: true, reason: 'The service is overloaded' } } });
    const url = `${replay.url}/v1/search?name=Paris&count=10&language=en&format=json`;
    expect((await fetch(url)).status).toBe(503);
    expect((await fetch(url)).status).toBe(200);
    replay.inject({ path: '/v1/search', fault: { kind: 'malformed', body: 'nan' } });
    expect(await (await fetch(url)).text()).toBe('nan');
    replay.clearFaults();
  });
});
