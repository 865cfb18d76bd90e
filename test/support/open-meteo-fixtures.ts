/**
 * Synthetic Open-Meteo fixtures shaped like the recorded real responses in test/fixtures/open-meteo, keyed to the
 * exact requests the weather program makes. Values are deterministic functions of the date and
 * place, so tests can predict them. The reference's own fixtures live as JSON files beside these.
 */
import type { ReplayFixture } from './open-meteo-replay.js';

export const CURRENT_VARIABLES = 'temperature_2m,relative_humidity_2m,apparent_temperature,is_day,precipitation,weather_code,cloud_cover,wind_speed_10m,wind_direction_10m';
export const FORECAST_DAILY = 'weather_code,temperature_2m_max,temperature_2m_min,precipitation_sum,precipitation_probability_max,wind_speed_10m_max,uv_index_max,sunrise,sunset';
export const ARCHIVE_DAILY = 'weather_code,temperature_2m_max,temperature_2m_min,temperature_2m_mean,precipitation_sum,precipitation_hours,sunshine_duration';

export interface FixturePlace {
  name: string;
  latitude: number;
  longitude: number;
  timezone: string;
  country?: string;
  country_code?: string;
  admin1?: string;
  population?: number;
  feature_code?: string;
}

export const PLACES = {
  paris: { name: 'Paris', latitude: 48.85341, longitude: 2.3488, timezone: 'Europe/Paris', country: 'France', country_code: 'FR', admin1: 'Île-de-France', population: 2138551, feature_code: 'PPLC' },
  parisTexas: { name: 'Paris', latitude: 33.66094, longitude: -95.55551, timezone: 'America/Chicago', country: 'United States', country_code: 'US', admin1: 'Texas', population: 24782, feature_code: 'PPLA2' },
  tokyo: { name: 'Tokyo', latitude: 35.6895, longitude: 139.69171, timezone: 'Asia/Tokyo', country: 'Japan', country_code: 'JP', admin1: 'Tokyo', population: 9733276, feature_code: 'PPLC' },
  miami: { name: 'Miami', latitude: 25.77427, longitude: -80.19366, timezone: 'America/New_York', country: 'United States', country_code: 'US', admin1: 'Florida', population: 441003, feature_code: 'PPLA2' },
  miamiOklahoma: { name: 'Miami', latitude: 36.87451, longitude: -94.87746, timezone: 'America/Chicago', country: 'United States', country_code: 'US', admin1: 'Oklahoma', population: 13570, feature_code: 'PPLA2' },
  limerick: { name: 'Limerick', latitude: 52.66472, longitude: -8.62306, timezone: 'Europe/Dublin', country: 'Ireland', country_code: 'IE', admin1: 'Munster', population: 94192, feature_code: 'PPLA' },
  /** The built-in table's entry (no geocoding call). */
  newYork: { name: 'New York', latitude: 40.7128, longitude: -74.006, timezone: 'America/New_York' },
} satisfies Record<string, FixturePlace>;

export function geocodingFixture(name: string, results: FixturePlace[], extra: Record<string, string> = {}): ReplayFixture {
  const body = results.length
    ? { results: results.map((place, index) => ({ id: 1000 + index, ...place })), generationtime_ms: 0.5 }
    : { generationtime_ms: 0.27 }; // no match: the results key is absent
  return { source: 'synthetic', request: { path: '/v1/search', query: { name, count: '10', language: 'en', format: 'json', ...extra } }, response: { body } };
}

/** Day-of-year seasonality, a latitude offset and a per-date wobble: plausible and predictable. */
export function syntheticDay(place: FixturePlace, date: string): { high: number; low: number; precipitation: number; code: number } {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  const dayOfYear = (Date.UTC(year, month - 1, day) - Date.UTC(year, 0, 1)) / 86_400_000;
  const seed = (year * 37 + month * 11 + day * 7 + Math.round(place.latitude)) % 10;
  const season = Math.sin(((dayOfYear - 105) / 365) * 2 * Math.PI) * (place.latitude > 0 ? 1 : -1);
  const high = round(30 - Math.abs(place.latitude) * 0.25 + season * 9 + (seed - 5) * 0.4);
  const precipitation = seed % 3 === 0 ? round(seed * 1.3 + 0.4, 2) : 0;
  return { high, low: round(high - 8 - (seed % 4)), precipitation, code: precipitation > 0 ? 61 : seed % 2 ? 1 : 3 };
}

export function forecastFixture(place: FixturePlace, dates: string[], options: { current?: boolean; forecastDays?: number } = {}): ReplayFixture {
  const query: Record<string, string> = { latitude: String(place.latitude), longitude: String(place.longitude) };
  if (options.current) query.current = CURRENT_VARIABLES;
  query.daily = FORECAST_DAILY;
  query.timezone = 'auto';
  if (options.forecastDays) query.forecast_days = String(options.forecastDays);
  else Object.assign(query, { start_date: dates[0]!, end_date: dates.at(-1)! });
  const days = dates.map((date) => syntheticDay(place, date));
  const body: Record<string, unknown> = { ...header(place) };
  if (options.current) {
    body.current_units = { time: 'iso8601', interval: 'seconds', temperature_2m: '°C' };
    body.current = { time: `${dates[0]}T12:00`, interval: 900, temperature_2m: days[0]!.high - 1, relative_humidity_2m: 60, apparent_temperature: days[0]!.high - 2, is_day: 1, precipitation: 0, weather_code: days[0]!.code, cloud_cover: 40, wind_speed_10m: 12.5, wind_direction_10m: 180 };
  }
  body.daily = {
    time: dates,
    weather_code: days.map((d) => d.code),
    temperature_2m_max: days.map((d) => d.high),
    temperature_2m_min: days.map((d) => d.low),
    precipitation_sum: days.map((d) => d.precipitation),
    precipitation_probability_max: days.map((d) => (d.precipitation > 0 ? 70 : 10)),
    wind_speed_10m_max: days.map(() => 18.4),
    uv_index_max: days.map(() => 5.2),
    sunrise: dates.map((date) => `${date}T06:00`),
    sunset: dates.map((date) => `${date}T20:30`),
  };
  return { source: 'synthetic', request: { path: '/v1/forecast', query }, response: { body } };
}

function archiveBody(place: FixturePlace, dates: string[]): Record<string, unknown> {
  const days = dates.map((date) => syntheticDay(place, date));
  return {
    ...header(place),
    daily: {
      time: dates,
      weather_code: days.map((d) => d.code),
      temperature_2m_max: days.map((d) => d.high),
      temperature_2m_min: days.map((d) => d.low),
      temperature_2m_mean: days.map((d) => round((d.high + d.low) / 2)),
      precipitation_sum: days.map((d) => d.precipitation),
      precipitation_hours: days.map((d) => (d.precipitation > 0 ? 3 : 0)),
      sunshine_duration: days.map((d) => (d.precipitation > 0 ? 10_800 : 36_000)),
    },
  };
}

export function archiveFixture(place: FixturePlace, start: string, end: string): ReplayFixture {
  return {
    source: 'synthetic',
    request: { path: '/v1/archive', query: archiveQuery(place, start, end) },
    response: { body: archiveBody(place, dateRange(start, end)) },
  };
}

/** The typical-weather request: one call with comma lists of per-year ranges → a JSON array. */
export function typicalFixture(place: FixturePlace, ranges: { start: string; end: string }[]): ReplayFixture {
  const query = archiveQuery(place, ranges.map((r) => r.start).join(','), ranges.map((r) => r.end).join(','));
  return { source: 'synthetic', request: { path: '/v1/archive', query }, response: { body: ranges.map((r) => archiveBody(place, dateRange(r.start, r.end))) } };
}

function archiveQuery(place: FixturePlace, start: string, end: string): Record<string, string> {
  return { latitude: String(place.latitude), longitude: String(place.longitude), start_date: start, end_date: end, daily: ARCHIVE_DAILY, timezone: place.timezone };
}

function header(place: FixturePlace): Record<string, unknown> {
  return { latitude: round(place.latitude, 2), longitude: round(place.longitude, 2), generationtime_ms: 0.2, utc_offset_seconds: 0, timezone: place.timezone, timezone_abbreviation: 'GMT', elevation: 40 };
}

export function dateRange(start: string, end: string): string[] {
  const dates: string[] = [];
  for (let t = Date.parse(`${start}T00:00:00Z`); t <= Date.parse(`${end}T00:00:00Z`); t += 86_400_000) dates.push(new Date(t).toISOString().slice(0, 10));
  return dates;
}

function round(value: number, digits = 1): number {
  return Math.round(value * 10 ** digits) / 10 ** digits;
}
