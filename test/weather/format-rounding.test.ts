/**
 * Each weather aggregate is rounded once and reads the same wherever the report shows it: the
 * per-place "Highs around" line and the side-by-side summary must agree, and °F is derived from
 * the °C shown (so 16.96 °C and 17.04 °C both read 62.6°F (17.0°C)).
 */
import { describe, expect, it } from 'vitest';
import { formatResearch, type ReportWithTips } from '../../src/weather/format.js';

const day = (date: string, highC: number, lowC: number, precipitationMm: number) => ({ date, highC, lowC, precipitationMm, wetChance: 0.2 });

function typicalPlace(name: string, meanHighC: number, days: ReturnType<typeof day>[]): ReportWithTips {
  return {
    query: name,
    ok: true,
    place: { name, country: 'Testland', latitude: 0, longitude: 0 } as never,
    typical: {
      start: '2026-05-01',
      end: '2026-05-03',
      yearsUsed: [2024, 2025],
      yearsSkipped: [],
      summary: { meanHighC, meanLowC: 10.04, p10HighC: 15, p90HighC: 19, p10LowC: 8, p90LowC: 12, totalPrecipitationMm: 3.04, wetDays: 1, sunshineHoursPerDay: 7, recordHigh: null, recordLow: null, conditions: {} },
      days,
    },
  } as ReportWithTips;
}

describe('weather report rounding', () => {
  it('shows one rounding of each typical aggregate, per place and side by side', () => {
    // The days' mean (17.1 °C) differs from the summary's (16.96 °C): the summary is the figure shown everywhere.
    const text = formatResearch(
      [typicalPlace('Alpha', 16.96, [day('2026-05-01', 17.0, 10, 1), day('2026-05-02', 17.2, 10, 1), day('2026-05-03', 17.1, 10, 1.04)]), typicalPlace('Beta', 17.04, [day('2026-05-01', 18, 10, 1)])],
      'May 2026',
    );
    const highs = [...text.matchAll(/Highs around (\S+ \(\S+\))/g)].map((m) => m[1]);
    expect(highs).toEqual(['62.6°F (17.0°C)', '62.6°F (17.0°C)']);
    const sideBySide = text.slice(text.indexOf('Side by side'));
    expect(sideBySide).toContain('Alpha, Testland: highs 62.6°F (17.0°C), lows 50.0°F (10.0°C), precipitation 3.0 mm (0.12 in)');
    expect(sideBySide).toContain('Beta, Testland: highs 62.6°F (17.0°C), lows 50.0°F (10.0°C), precipitation 3.0 mm (0.12 in)');
    expect(text).toContain('About 1 wet days (≥ 1 mm) and 3.0 mm (0.12 in) of precipitation');
  });
});
