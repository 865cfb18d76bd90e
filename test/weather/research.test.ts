import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { createLocalSandbox } from '../../src/sandbox/backends/local/local-sandbox.js';
import { researchWeather } from '../../src/tools/research-weather.js';
import type { ResearchWeatherOutput } from '../../src/tools/types.js';
import { geocodingFixture, syntheticDay, PLACES } from '../support/open-meteo-fixtures.js';
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
  // Every request the program made had a fixture: nothing was guessed or left unanswered.
  expect(replay.unknown).toEqual([]);
  replay.requests.length = 0;
});

function research(destination: string, dates?: string): Promise<ResearchWeatherOutput> {
  return researchWeather({ destination, dates }, { sandbox }, { today: TODAY, openMeteo: replay.options() });
}

function okPlace(output: ResearchWeatherOutput, index = 0) {
  const report = output.data.places[index];
  if (!report?.ok) throw new Error(`place ${index} failed: ${JSON.stringify(report)}\n${output.text}`);
  return report;
}

describe('research_weather on Local against the replay server', () => {
  test('current conditions and the 5-day forecast, from the recorded Paris forecast', async () => {
    const output = await research('Paris');
    expect(output.sandboxType).toBe('Local');
    const lines = output.text.split('\n');
    expect(lines[0]).toBe('🌍 Weather for Paris, Île-de-France, France');
    expect(output.text).toContain('📅 Current: 🌤️ Mainly clear, 76.6°F (24.8°C), feels like 75.4°F (24.1°C), wind 7.0 mph (11.2 km/h), humidity 41%');
    expect(output.text).toContain('📆 Forecast:');
    expect(output.text).toContain('  • Thu 2025-06-12 🌧️ Slight rain: high 67.6°F (19.8°C) / low 58.8°F (14.9°C), precipitation 7.4 mm (0.29 in), 85% chance');
    // The trailing null probability shows as no chance, not 0 %.
    expect(output.text).toContain('  • Sat 2025-06-14 ⛅ Partly cloudy: high 77.5°F (25.3°C) / low 56.1°F (13.4°C), precipitation 0.0 mm (0.00 in), wind');
    expect(output.text).toContain('💡 Travel Dates: Current conditions');
    expect(output.text).toContain('👔 Packing Tips:');
    expect(output.text).toMatch(/Rain likely on about 2 of 5 days/);
    expect(output.text).toMatch(/UV index up to 8/);
    const report = okPlace(output);
    expect(report.forecast?.map((d) => d.date)).toEqual(['2025-06-10', '2025-06-11', '2025-06-12', '2025-06-13', '2025-06-14']);
    expect(report.forecast?.[4]?.precipitationProbability).toBeNull();
    expect(output.timings.totalMs).toBeGreaterThan(0);
    expect(output.data.calls).toBe(2);
  });

  test('past dates report what happened, with the aggregates of the recorded July 2024 archive', async () => {
    const output = await research('Paris', 'July 2024');
    const report = okPlace(output);
    expect(report.past?.summary).toMatchObject({
      days: 31,
      missingDays: 0,
      meanHighC: 25.85,
      meanLowC: 15.86,
      totalPrecipitationMm: 49.3,
      wetDays: 10,
      sunshineHoursPerDay: 9.27,
      hottest: { date: '2024-07-30', value: 35.2 },
    });
    expect(report.current).toBeUndefined();
    expect(report.forecast).toBeUndefined();
    expect(output.text).toContain('🕰️ What happened July 2024 (recorded, Open-Meteo archive):');
    expect(output.text).toContain('10 wet days (≥ 1 mm) of 31');
    expect(output.text).not.toContain('📅 Current');
    expect(replay.requests.map((r) => r.path)).toEqual(['/v1/search', '/v1/archive']);
  });

  test('dates beyond the horizon give typical weather from 10 years in one archive call', async () => {
    const output = await research('Paris', 'August 2025');
    const report = okPlace(output);
    const typical = report.typical!;
    expect(typical.yearsUsed).toEqual([2024, 2023, 2022, 2021, 2020, 2019, 2018, 2017, 2016, 2015]);
    // The mean of all highs of all years, recomputed from the synthetic fixture.
    const highs: number[] = [];
    for (let year = 2015; year <= 2024; year++) {
      for (let day = 1; day <= 31; day++) highs.push(syntheticDay(PLACES.paris, `${year}-08-${String(day).padStart(2, '0')}`).high);
    }
    expect(typical.summary?.meanHighC).toBeCloseTo(highs.reduce((a, b) => a + b, 0) / highs.length, 2);
    expect(typical.days).toHaveLength(31);
    expect(output.text).toContain('📊 Typical weather for August 2025 (average of 10 years, 2015–2024; typical weather, not a forecast):');
    expect(output.text).not.toContain('📆 Forecast');
    expect(replay.requests.filter((r) => r.path === '/v1/archive')).toHaveLength(1);
  });

  test('days inside the horizon get a forecast for exactly those days', async () => {
    const output = await research('Paris', 'June 20-25');
    const report = okPlace(output);
    expect(report.forecast?.map((d) => d.date)).toEqual(['2025-06-20', '2025-06-21', '2025-06-22', '2025-06-23', '2025-06-24', '2025-06-25']);
    expect(report.current).toBeUndefined();
    expect(output.text).toContain('💡 Travel Dates: June 20–25, 2025');
  });

  test('a window across past, forecast and typical reports each part in its own section', async () => {
    const output = await research('Paris', '2025-06-05 to 2025-07-05');
    const report = okPlace(output);
    expect(report.past?.days.map((d) => d.date)).toEqual(['2025-06-05', '2025-06-06', '2025-06-07', '2025-06-08', '2025-06-09']);
    expect(report.forecast).toHaveLength(16);
    expect(report.current).toBeTruthy();
    expect(report.typical).toMatchObject({ start: '2025-06-26', end: '2025-07-05' });
    const order = ['📅 Current', '📆 Forecast', '🕰️ What happened', '📊 Typical weather', '💡 Travel Dates', '👔 Packing Tips'].map((mark) => output.text.indexOf(mark));
    expect(order.every((at) => at >= 0)).toBe(true);
  });
});

describe('places', () => {
  test('a table city needs no geocoding call', async () => {
    const output = await research('new york');
    expect(okPlace(output).place).toMatchObject({ name: 'New York', source: 'table', timezone: 'America/New_York' });
    expect(replay.requests.map((r) => r.path)).toEqual(['/v1/forecast']);
  });

  test('an ambiguous name picks the largest match and says which and what else', async () => {
    const output = await research('Paris');
    expect(okPlace(output).place).toMatchObject({ countryCode: 'FR', source: 'geocoding', alternatives: ['Paris, Texas, United States', 'Paris, Tennessee, United States'] });
    expect(output.text).toContain('picked the largest match; others: Paris, Texas, United States; Paris, Tennessee, United States');
  });

  test('a country qualifier is sent as countryCode; a region qualifier filters the matches', async () => {
    const france = await research('Paris, France');
    expect(okPlace(france).place.countryCode).toBe('FR');
    expect(replay.requests[0]!.query).toMatchObject({ name: 'Paris', countryCode: 'FR' });
    replay.requests.length = 0;
    const texas = await research('Paris, TX');
    expect(okPlace(texas).place).toMatchObject({ admin1: 'Texas', latitude: 33.66094 });
    expect(texas.text.split('\n')[0]).toBe('🌍 Weather for Paris, Texas, United States');
  });

  test('a qualifier without a comma is retried as one (Limerick Ireland)', async () => {
    const output = await research('Limerick Ireland');
    expect(okPlace(output).place).toMatchObject({ name: 'Limerick', country: 'Ireland' });
    expect(replay.requests.map((r) => r.query.name)).toEqual(['Limerick Ireland', 'Limerick', undefined]);
  });

  test('no match says so (the geocoder sends no results key at all)', async () => {
    const output = await research('Xqzzyville');
    expect(output.data.places[0]).toEqual({ query: 'Xqzzyville', ok: false, message: expect.stringContaining('Could not find "Xqzzyville"') });
    expect(output.text).toBe('🌍 Weather for Xqzzyville\n⚠️ Could not find "Xqzzyville". Check the spelling, or add the country after a comma, e.g. "Paris, France".');
  });

  test('several places side by side, each in its own block', async () => {
    const output = await research('Miami, Tokyo');
    expect(output.data.places.map((p) => (p.ok ? p.place.name : p.query))).toEqual(['Miami', 'Tokyo']);
    expect(okPlace(output, 0).place.admin1).toBe('Florida');
    expect(output.text).toContain('🌍 Weather for Miami, Florida, United States');
    expect(output.text).toContain('🌍 Weather for Tokyo, Japan');
    expect(output.text).toContain('⚖️ Side by side:');
    const both = await research('Paris, France and Tokyo', 'August 2025');
    expect(both.data.places.map((p) => p.ok && p.place.country)).toEqual(['France', 'Japan']);
  });

  test('a found place next to a missing one: one answer, one message', async () => {
    const output = await research('Tokyo and Xqzzyville');
    expect(output.data.places.map((p) => p.ok)).toEqual([true, false]);
    expect(output.text).toContain('⚠️ Could not find "Xqzzyville"');
  });

  test('a destination that looks like code is only ever data', async () => {
    const hostile = 'Paris"); import os; print(os.environ) #';
    // `;` separates places, so the geocoder is asked for each piece, and finds none of them.
    for (const name of ['Paris")', 'import os', 'print(os.environ) #']) replay.add(geocodingFixture(name, []));
    const output = await research(hostile);
    expect(output.data.places.map((p) => p.ok)).toEqual([false, false, false]);
    expect(output.text).toContain('Could not find "Paris")"');
    expect(output.text).not.toMatch(/environ\(\{|TIDEPOOL_DATA_DIR|'PATH'/);
    expect(replay.requests.map((r) => r.query.name)).toEqual(['Paris")', 'import os', 'print(os.environ) #']);
  });
});

describe('input the tool refuses before running anything', () => {
  test('unparseable dates: a message with examples, no sandbox run, no request', async () => {
    const output = await research('Paris', 'whenever it is sunny');
    expect(output.text).toBe('⚠️ Could not understand the travel dates "whenever it is sunny". Try for example "current", "tomorrow", "this weekend", "next week", "May", "February 2026", "May 3-10, 2027", "2027-05-03 to 2027-05-10" or "2027-05-03".');
    expect(output.data.error).toContain('Could not understand');
    expect(output.timings.executionMs).toBeUndefined();
    expect(replay.requests).toEqual([]);
  });

  test('an empty destination', async () => {
    const output = await research('   ');
    expect(output.text).toContain('Name a destination');
  });
});
