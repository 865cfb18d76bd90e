/** Shared setup for the weather integration tests: a replay server with fixtures and a fixed "today". */
import { addDays } from '../../src/weather/calendar.js';
import { archiveFixture, dateRange, forecastFixture, geocodingFixture, PLACES, typicalFixture } from '../support/open-meteo-fixtures.js';
import { startOpenMeteoReplay, type OpenMeteoReplay } from '../support/open-meteo-replay.js';

/** Matches the recorded Paris forecast (its current time is 2025-06-10T14:15). */
export const TODAY = '2025-06-10';

/** Years the typical-weather request asks for, for a window in August 2025 seen on TODAY. */
export function augustRanges(): { start: string; end: string }[] {
  return Array.from({ length: 10 }, (_, i) => ({ start: `${2024 - i}-08-01`, end: `${2024 - i}-08-31` }));
}

export async function startWeatherReplay(): Promise<OpenMeteoReplay> {
  const replay = await startOpenMeteoReplay();
  const parisFr = { ...PLACES.paris };
  replay.add(
    geocodingFixture('Paris', [parisFr], { countryCode: 'FR' }),
    geocodingFixture('Tokyo', [PLACES.tokyo]),
    geocodingFixture('Miami', [PLACES.miami, PLACES.miamiOklahoma]),
    geocodingFixture('Limerick Ireland', []),
    geocodingFixture('Limerick', [PLACES.limerick], { countryCode: 'IE' }),
    forecastFixture(PLACES.tokyo, dateRange(TODAY, addDays(TODAY, 4)), { current: true, forecastDays: 5 }),
    forecastFixture(PLACES.miami, dateRange(TODAY, addDays(TODAY, 4)), { current: true, forecastDays: 5 }),
    forecastFixture(PLACES.limerick, dateRange(TODAY, addDays(TODAY, 4)), { current: true, forecastDays: 5 }),
    forecastFixture(PLACES.parisTexas, dateRange(TODAY, addDays(TODAY, 4)), { current: true, forecastDays: 5 }),
    forecastFixture(PLACES.newYork, dateRange(TODAY, addDays(TODAY, 4)), { current: true, forecastDays: 5 }),
    // Paris, June 20-25: inside the horizon, no current conditions.
    forecastFixture(PLACES.paris, dateRange('2025-06-20', '2025-06-25')),
    // Paris, June 5 - July 5: past + forecast (with current) + typical.
    archiveFixture(PLACES.paris, '2025-06-05', '2025-06-09'),
    forecastFixture(PLACES.paris, dateRange(TODAY, '2025-06-25'), { current: true }),
    typicalFixture(PLACES.paris, Array.from({ length: 10 }, (_, i) => ({ start: `${2024 - i}-06-26`, end: `${2024 - i}-07-05` }))),
    // Paris and Tokyo, August 2025: typical weather.
    typicalFixture(PLACES.paris, augustRanges()),
    typicalFixture(PLACES.tokyo, augustRanges()),
  );
  return replay;
}
