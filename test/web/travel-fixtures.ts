/** Open-Meteo fixtures for the travel conversations the web tests have: Miami and Tokyo in May. */
import { geocodingFixture, PLACES, typicalFixture } from '../support/open-meteo-fixtures.js';
import { startOpenMeteoReplay, type OpenMeteoReplay } from '../support/open-meteo-replay.js';

/** "May" seen from this day means typical weather from the ten Mays 2016-2025. */
export const TODAY = '2025-06-10';

export function mayRanges(): { start: string; end: string }[] {
  return Array.from({ length: 10 }, (_, i) => ({ start: `${2025 - i}-05-01`, end: `${2025 - i}-05-31` }));
}

export async function startTravelReplay(): Promise<OpenMeteoReplay> {
  const replay = await startOpenMeteoReplay({ loadFiles: false });
  replay.add(
    geocodingFixture('Miami', [PLACES.miami, PLACES.miamiOklahoma]),
    geocodingFixture('Tokyo', [PLACES.tokyo]),
    typicalFixture(PLACES.miami, mayRanges()),
    typicalFixture(PLACES.tokyo, mayRanges()),
  );
  return replay;
}

/** The server environment that points every Open-Meteo call at the replay server. */
export function openMeteoEnv(replay: OpenMeteoReplay): Record<string, string> {
  return replay.env;
}
