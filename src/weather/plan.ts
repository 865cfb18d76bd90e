/**
 * Which Open-Meteo data answers which part of the travel window, relative to "today":
 *
 *   past days              → archive: what actually happened
 *   today … today+15       → forecast (the forecast host's 16-day horizon), plus current conditions
 *   beyond the horizon     → typical weather: the same calendar days in each of the last
 *                            TYPICAL_YEARS complete years, from the archive, averaged
 *
 * A window that straddles two horizons is split at the boundary and each part is reported in its
 * own section (e.g. "July 2026" seen on June 20 → forecast for Jul 1–5, typical for Jul 6–31).
 */
import { addDays, daysBetween, inYear, parts, type IsoDate } from './calendar.js';
import type { TravelDates } from './dates.js';

export const FORECAST_HORIZON_DAYS = 16;
/** Days shown for "current": a five-day outlook (forecast_days=5), what a trip plan needs. */
export const CURRENT_FORECAST_DAYS = 5;
export const TYPICAL_YEARS = 10;
/** The archive's best_match blend lags ~2–5 days; a year counts as complete once its window ended this long ago. */
export const ARCHIVE_DELAY_DAYS = 6;

export interface DateWindow {
  start: IsoDate;
  end: IsoDate;
}

export interface WeatherPlan {
  /** Show current conditions (the window includes today, or no dates were given). */
  current: boolean;
  past?: DateWindow;
  forecast?: DateWindow;
  typical?: DateWindow & {
    /** The same window shifted into each reference year, newest first. */
    years: (DateWindow & { year: number })[];
  };
}

export function planWeather(dates: TravelDates, today: IsoDate): WeatherPlan {
  if (dates.kind === 'current') {
    return { current: true, forecast: { start: today, end: addDays(today, CURRENT_FORECAST_DAYS - 1) } };
  }
  const lastForecastDay = addDays(today, FORECAST_HORIZON_DAYS - 1);
  const plan: WeatherPlan = { current: false };
  if (dates.start < today) plan.past = { start: dates.start, end: min(dates.end, addDays(today, -1)) };
  if (dates.end >= today && dates.start <= lastForecastDay) {
    plan.forecast = { start: max(dates.start, today), end: min(dates.end, lastForecastDay) };
    plan.current = plan.forecast.start === today;
  }
  if (dates.end > lastForecastDay) {
    const window = { start: max(dates.start, addDays(lastForecastDay, 1)), end: dates.end };
    plan.typical = { ...window, years: referenceYears(window, today) };
  }
  return plan;
}

/** The last TYPICAL_YEARS years in which the window (shifted to that year) has fully reached the archive. */
export function referenceYears(window: DateWindow, today: IsoDate, count = TYPICAL_YEARS): (DateWindow & { year: number })[] {
  const length = daysBetween(window.start, window.end);
  const complete = addDays(today, -ARCHIVE_DELAY_DAYS);
  const years: (DateWindow & { year: number })[] = [];
  for (let year = parts(window.start).year; years.length < count && year > 1940; year--) {
    const start = inYear(window.start, year);
    const end = addDays(start, length);
    if (end <= complete) years.push({ year, start, end });
  }
  return years;
}

function min(a: IsoDate, b: IsoDate): IsoDate {
  return a < b ? a : b;
}

function max(a: IsoDate, b: IsoDate): IsoDate {
  return a > b ? a : b;
}
