/**
 * Everything decided on the host before a sandbox runs: which places, which days, which data.
 * The result is the JSON argument of the Python program (plain data, no source).
 */
import { addDays, daysBetween, hostToday, type IsoDate } from './calendar.js';
import { parseTravelDates, type TravelDates } from './dates.js';
import { MAX_PLACES, parsePlaces, type PlaceQuery } from './places.js';
import { CURRENT_FORECAST_DAYS, planWeather, type WeatherPlan } from './plan.js';
import type { OpenMeteoSettings } from './settings.js';

export interface WeatherRequest {
  today: IsoDate;
  dates: TravelDates;
  places: PlaceQuery[];
  plan: WeatherPlan;
  /** The program's argument. */
  args: ProgramArgs;
}

export interface ProgramArgs {
  places: PlaceQuery[];
  plan: Omit<WeatherPlan, 'typical'> & { forecastDays?: number; typical?: NonNullable<WeatherPlan['typical']> & { dates: IsoDate[] } };
  urls: OpenMeteoSettings['urls'];
  timeoutSeconds: number;
  retryDelaySeconds: number;
  chart?: { file: string; title: string };
}

export type RequestResult = { ok: true; request: WeatherRequest } | { ok: false; message: string };

export function buildWeatherRequest(
  input: { destination: string; dates?: string },
  settings: OpenMeteoSettings,
  options: { today?: IsoDate; maxPlaces?: number } = {},
): RequestResult {
  const today = options.today ?? hostToday();
  const places = parsePlaces(input.destination, options.maxPlaces ?? MAX_PLACES);
  if (!places.ok) return places;
  const dates = parseTravelDates(input.dates, today);
  if (!dates.ok) return dates;
  const plan = planWeather(dates.dates, today);
  const { typical: _typical, ...rest } = plan;
  const argsPlan: ProgramArgs['plan'] = { ...rest };
  if (dates.dates.kind === 'current') argsPlan.forecastDays = CURRENT_FORECAST_DAYS;
  if (plan.typical) {
    const { start, end } = plan.typical;
    argsPlan.typical = { ...plan.typical, dates: Array.from({ length: daysBetween(start, end) + 1 }, (_, i) => addDays(start, i)) };
  }
  return {
    ok: true,
    request: {
      today,
      dates: dates.dates,
      places: places.places,
      plan,
      args: { places: places.places, plan: argsPlan, urls: settings.urls, timeoutSeconds: settings.timeoutSeconds, retryDelaySeconds: settings.retryDelaySeconds },
    },
  };
}

/** A cell limit that covers every request the program may make, within Azure's 220 s cap. */
export function programTimeoutMs(request: WeatherRequest, settings: OpenMeteoSettings): number {
  const callsPerPlace = 5; // geocoding (+ fallback), forecast, archive past, archive typical
  const retrySeconds = settings.retryDelaySeconds + 1;
  const seconds = request.places.length * callsPerPlace * (settings.timeoutSeconds + retrySeconds) + 30;
  return Math.min(220, seconds) * 1000;
}
