/**
 * chart_weather: up to four places, fetched like research_weather, drawn by matplotlib inside the
 * sandbox (high/low lines, precipitation bars), saved in /mnt/data and downloaded as PNG bytes.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { placeLabel } from '../weather/format.js';
import { CURRENT_FORECAST_DAYS } from '../weather/plan.js';
import { CHART_PROGRAM } from '../weather/program.js';
import { buildWeatherRequest, programTimeoutMs } from '../weather/request.js';
import { resolveOpenMeteoSettings } from '../weather/settings.js';
import { resolveToday, withBanner, withTips, type WeatherToolOptions } from './research-weather.js';
import type { ChartWeatherInput, ChartWeatherOutput, ToolRunContext } from './types.js';
import { runProgram, withToolSession } from './weather-program-run.js';

export const MAX_CHART_PLACES = 4;

export const chartWeatherInputSchema = z.object({
  places: z.array(z.string().trim().min(1).max(200)).min(1, 'Name at least one place.').max(MAX_CHART_PLACES, `Chart at most ${MAX_CHART_PLACES} places.`),
  dates: z.string().trim().max(100).optional(),
});

export const CHART_WEATHER_DESCRIPTION =
  'Draw a PNG chart comparing daily high/low temperatures and precipitation for one to four places over travel dates (same date forms as research_weather).';

/** Like researchWeather, but answers with a chart. Failures come back as text and an empty `png`. */
export async function chartWeather(input: ChartWeatherInput, context: ToolRunContext, options: WeatherToolOptions = {}): Promise<ChartWeatherOutput> {
  const started = performance.now();
  const { sandbox } = context;
  const today = resolveToday(options.today);
  const fileName = `tidepool-weather-chart-${randomUUID().slice(0, 8)}.png`;
  const empty = new Uint8Array();
  const finish = (text: string, png: Uint8Array, data: ChartWeatherOutput['data'], run?: { readyMs: number; executionMs: number }): ChartWeatherOutput => ({
    text: withBanner(sandbox.banner, text),
    png,
    fileName,
    sandboxType: sandbox.type,
    data,
    timings: { ...(run ? { readyMs: run.readyMs, executionMs: run.executionMs } : {}), totalMs: Math.round(performance.now() - started) },
  });
  const parsed = chartWeatherInputSchema.safeParse(input);
  if (!parsed.success) {
    const message = parsed.error.issues[0]?.message ?? 'Invalid input.';
    return finish(`⚠️ ${message}`, empty, { destination: '', today, places: [], error: message });
  }
  // Each entry is one place; `;` keeps "Paris, France" whole while joining them.
  const destination = parsed.data.places.join('; ');
  const settings = resolveOpenMeteoSettings(options.openMeteo, options.env);
  const built = buildWeatherRequest({ destination, dates: parsed.data.dates }, settings, { today, maxPlaces: MAX_CHART_PLACES });
  if (!built.ok) return finish(`⚠️ ${built.message}`, empty, { destination, today, places: [], error: built.message });
  const { request } = built;
  const period = request.dates.kind === 'current' ? `next ${CURRENT_FORECAST_DAYS} days` : request.dates.label;
  const title = `Daily high/low and precipitation — ${period}`;
  const args = { ...request.args, chart: { file: fileName, title } };
  const base = { destination, dates: request.dates, today, plan: request.plan };
  return withToolSession(context, async (session) => {
    const run = await runProgram(session, CHART_PROGRAM, 'tidepool_weather_chart_main', args, {
      timeoutMs: options.timeoutMs ?? programTimeoutMs(request, settings),
      signal: context.signal,
    });
    if (!run.answer || 'fatal' in run.answer) {
      const message = run.failure ?? (run.answer && 'fatal' in run.answer ? run.answer.fatal : 'The chart program failed.');
      return finish(`⚠️ ${message}`, empty, { ...base, places: [], error: message }, run);
    }
    const places = withTips(run.answer.places);
    const data = { ...base, places, calls: run.answer.calls };
    const lines = places.map((report) => (report.ok ? `  • ${placeLabel(report.place)}` : `  • ${report.query}: ⚠️ ${report.message}`));
    if (!run.answer.chart) return finish(['⚠️ No chart: none of the places had weather data.', ...lines].join('\n'), empty, data, run);
    const png = await session.download(run.answer.chart.file, { signal: context.signal });
    return finish([`📈 ${title} (${fileName})`, ...lines].join('\n'), png, data, run);
  });
}
