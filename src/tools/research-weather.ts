/**
 * research_weather: destination + travel dates → current conditions, forecast, what happened or
 * typical weather, and packing tips. The Open-Meteo work runs as Python inside the sandbox.
 */
import { z } from 'zod';
import type { Env } from '../config/settings.js';
import { hostToday, isIsoDate, type IsoDate } from '../weather/calendar.js';
import { InvalidInputError } from '../errors.js';
import { formatResearch, type ReportWithTips } from '../weather/format.js';
import { packingTips } from '../weather/packing.js';
import { RESEARCH_PROGRAM } from '../weather/program.js';
import { buildWeatherRequest, programTimeoutMs } from '../weather/request.js';
import { resolveOpenMeteoSettings, type OpenMeteoOptions } from '../weather/settings.js';
import { runProgram, withToolSession } from './weather-program-run.js';
import type { ResearchWeatherInput, ResearchWeatherOutput, ToolRunContext } from './types.js';
import type { WeatherResearchData } from './weather-data.js';
import type { PlaceReport } from '../weather/report.js';

export interface WeatherToolOptions {
  openMeteo?: OpenMeteoOptions;
  /** The calendar day dates are relative to (`YYYY-MM-DD`); default the host's date. */
  today?: IsoDate | (() => IsoDate);
  /** Per-run cell limit; default derived from the number of places and the request timeout (≤ 220 s). */
  timeoutMs?: number;
  env?: Env;
}

export const researchWeatherInputSchema = z.object({
  destination: z
    .string({ error: (issue) => (issue.input === undefined ? 'research_weather needs a destination, e.g. "Paris, France".' : 'The destination must be text, e.g. "Paris, France".') })
    .trim()
    .min(1, 'Name a destination, e.g. "Paris, France".')
    .max(300),
  dates: z.string().trim().max(100).optional().describe('Travel dates: "current", "May", "February 2026", "May 3-10, 2027", "next week", …'),
});

export const RESEARCH_WEATHER_DESCRIPTION =
  'Research the weather for a travel destination (or several, e.g. "Miami and Tokyo") and travel dates: current conditions and forecast within 16 days, typical weather (10-year averages) for later dates, recorded weather for past dates, and packing tips. Dates like "May", "February 2026", "May 3-10, 2027", "next week" or empty for current conditions.';

export async function researchWeather(input: ResearchWeatherInput, context: ToolRunContext, options: WeatherToolOptions = {}): Promise<ResearchWeatherOutput> {
  const started = performance.now();
  const { sandbox } = context;
  const finish = (text: string, data: WeatherResearchData, run?: { readyMs: number; executionMs: number }): ResearchWeatherOutput => ({
    text: withBanner(sandbox.banner, text),
    data,
    sandboxType: sandbox.type,
    timings: { ...(run ? { readyMs: run.readyMs, executionMs: run.executionMs } : {}), totalMs: Math.round(performance.now() - started) },
  });
  const today = resolveToday(options.today);
  const parsed = researchWeatherInputSchema.safeParse(input);
  if (!parsed.success) {
    const message = `⚠️ ${parsed.error.issues[0]?.message ?? 'Invalid input.'}`;
    return finish(message, { destination: String(input?.destination ?? ''), today, places: [], error: message });
  }
  const settings = resolveOpenMeteoSettings(options.openMeteo, options.env);
  const built = buildWeatherRequest(parsed.data, settings, { today });
  if (!built.ok) return finish(`⚠️ ${built.message}`, { destination: parsed.data.destination, today, places: [], error: built.message });
  const { request } = built;
  const base = { destination: parsed.data.destination, dates: request.dates, today, plan: request.plan };
  const timeoutMs = options.timeoutMs ?? programTimeoutMs(request, settings);
  const run = await withToolSession(context, (session) =>
    runProgram(session, RESEARCH_PROGRAM, 'tidepool_weather_main', request.args, { timeoutMs, signal: context.signal }),
  );
  if (!run.answer || 'fatal' in run.answer) {
    const message = run.failure ?? (run.answer && 'fatal' in run.answer ? run.answer.fatal : 'The weather program failed.');
    return finish(`⚠️ ${message}`, { ...base, places: [], error: message }, run);
  }
  const places = withTips(run.answer.places);
  return finish(formatResearch(places, request.dates.label), { ...base, places, calls: run.answer.calls }, run);
}

export function withTips(places: PlaceReport[]): ReportWithTips[] {
  return places.map((report) => (report.ok ? { ...report, tips: packingTips(report) } : report));
}

export function withBanner(banner: string, text: string): string {
  return banner ? `${banner}\n${text}` : text;
}

export function resolveToday(today: WeatherToolOptions['today']): IsoDate {
  const value = typeof today === 'function' ? today() : today;
  if (value === undefined) return hostToday();
  if (!isIsoDate(value)) throw new InvalidInputError(`today must be a YYYY-MM-DD date, got "${value}".`);
  return value;
}
