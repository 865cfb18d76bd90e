/**
 * Renders a research answer as the original tool's text: 🌍 place, 📅 current, 📆 forecast days,
 * then what happened / typical weather when the dates ask for it, 💡 travel dates, 👔 packing tips.
 */
import { dayLabel, windowLabel } from './calendar.js';
import type { ArchiveDay, CurrentConditions, DaysSummary, ForecastDay, PlaceInfo, PlaceReport, TypicalWeather } from './report.js';
import { precipitation, temperature as unroundedTemperature, windSpeed } from './units.js';
import { weatherIcon, weatherText } from './wmo.js';

export type ReportWithTips = PlaceReport & { tips?: string[] };

/**
 * A temperature rounded once, to the 0.1 °C shown, with °F derived from that: the same aggregate
 * reads the same wherever it appears (per place and side by side), never 62.7°F in one line and
 * 62.6°F in the next.
 */
function temperature(celsius: number | null | undefined): string {
  return unroundedTemperature(celsius == null ? celsius : Math.round(celsius * 10) / 10);
}

/** Past days are listed one by one up to this many; longer stretches get the summary only. */
const MAX_LISTED_PAST_DAYS = 10;

export function formatResearch(places: ReportWithTips[], datesLabel: string): string {
  const blocks = places.map((report) => formatPlace(report, datesLabel));
  if (places.length > 1) blocks.push(sideBySide(places));
  return blocks.join('\n\n');
}

function formatPlace(report: ReportWithTips, datesLabel: string): string {
  if (!report.ok) return `🌍 Weather for ${report.query}\n⚠️ ${report.message}`;
  const lines = [`🌍 Weather for ${placeLabel(report.place)}`];
  if (report.place.alternatives?.length) {
    lines.push(`   (picked the largest match; others: ${report.place.alternatives.join('; ')} — add a country or region after a comma to choose)`);
  }
  if (report.current) lines.push(currentLine(report.current));
  if (report.forecast?.length) {
    lines.push('📆 Forecast:');
    for (const day of report.forecast) lines.push(`  • ${forecastLine(day)}`);
  }
  if (report.past) lines.push(...pastLines(report.past));
  if (report.typical) lines.push(...typicalLines(report.typical));
  lines.push(`💡 Travel Dates: ${datesLabel}`);
  if (report.tips?.length) {
    lines.push('👔 Packing Tips:');
    for (const tip of report.tips) lines.push(`  • ${tip}`);
  }
  return lines.join('\n');
}

export function placeLabel(place: PlaceInfo): string {
  return [place.name, place.admin1 !== place.name ? place.admin1 : undefined, place.country].filter(Boolean).join(', ');
}

function currentLine(current: CurrentConditions): string {
  const extras = [`feels like ${temperature(current.feelsLikeC)}`, `wind ${windSpeed(current.windKmh)}`];
  if (current.humidity != null) extras.push(`humidity ${current.humidity.toFixed(0)}%`);
  return `📅 Current: ${weatherIcon(current.code)} ${weatherText(current.code)}, ${temperature(current.temperatureC)}, ${extras.join(', ')}`;
}

function forecastLine(day: ForecastDay): string {
  const rain = day.precipitationProbability != null ? `${precipitation(day.precipitation)}, ${day.precipitationProbability.toFixed(0)}% chance` : precipitation(day.precipitation);
  const extras = [day.windMax != null ? `wind up to ${windSpeed(day.windMax)}` : '', day.uvMax != null ? `UV ${day.uvMax.toFixed(0)}` : ''].filter(Boolean);
  return `${dayLabel(day.date)} ${weatherIcon(day.code)} ${weatherText(day.code)}: high ${temperature(day.high)} / low ${temperature(day.low)}, precipitation ${rain}${extras.length ? `, ${extras.join(', ')}` : ''}`;
}

function pastLines(past: { start: string; end: string; days: ArchiveDay[]; summary: DaysSummary }): string[] {
  const s = past.summary;
  const lines = [`🕰️ What happened ${windowLabel(past.start, past.end)} (recorded, Open-Meteo archive):`];
  lines.push(`  • Mean high ${temperature(s.meanHighC)}, mean low ${temperature(s.meanLowC)}`);
  lines.push(`  • Precipitation ${precipitation(s.totalPrecipitationMm)} in total, ${s.wetDays ?? 'n/a'} wet days (≥ 1 mm) of ${s.days}`);
  const extremes = [
    s.hottest ? `hottest ${temperature(s.hottest.value)} on ${s.hottest.date}` : '',
    s.coldest ? `coldest ${temperature(s.coldest.value)} on ${s.coldest.date}` : '',
    s.sunshineHoursPerDay != null ? `sunshine ${s.sunshineHoursPerDay.toFixed(1)} h/day` : '',
  ].filter(Boolean);
  if (extremes.length) lines.push(`  • ${extremes.join('; ')}`);
  if (s.missingDays > 0) lines.push(`  • ${s.missingDays} day(s) not in the archive yet (it lags a few days behind)`);
  if (past.days.length <= MAX_LISTED_PAST_DAYS) {
    for (const day of past.days) {
      lines.push(`  • ${dayLabel(day.date)} ${weatherIcon(day.code)} ${weatherText(day.code)}: high ${temperature(day.high)} / low ${temperature(day.low)}, precipitation ${precipitation(day.precipitation)}`);
    }
  }
  return lines;
}

function typicalLines(typical: TypicalWeather): string[] {
  const title = `📊 Typical weather for ${windowLabel(typical.start, typical.end)}`;
  const s = typical.summary;
  if (!s) return [`${title}: no reference years with complete data in the archive.`];
  const years = typical.yearsUsed;
  const span = years.length ? `${Math.min(...years)}–${Math.max(...years)}` : '';
  const lines = [`${title} (average of ${years.length} years, ${span}; typical weather, not a forecast):`];
  lines.push(`  • Highs around ${temperature(s.meanHighC)} (mostly ${temperature(s.p10HighC)} to ${temperature(s.p90HighC)})`);
  lines.push(`  • Lows around ${temperature(s.meanLowC)} (mostly ${temperature(s.p10LowC)} to ${temperature(s.p90LowC)})`);
  lines.push(`  • About ${s.wetDays ?? 'n/a'} wet days (≥ 1 mm) and ${precipitation(s.totalPrecipitationMm)} of precipitation over ${typical.days.length} days`);
  const mix = Object.entries(s.conditions)
    .filter(([group]) => group !== 'unknown')
    .sort((a, b) => b[1] - a[1])
    .map(([group, share]) => `${Math.round(share * 100)}% ${group}`);
  const extras = [s.sunshineHoursPerDay != null ? `sunshine ${s.sunshineHoursPerDay.toFixed(1)} h/day` : '', mix.length ? `days: ${mix.join(', ')}` : ''].filter(Boolean);
  if (extras.length) lines.push(`  • ${extras.join('; ')}`);
  if (s.recordHigh && s.recordLow) lines.push(`  • Extremes in those years: ${temperature(s.recordHigh.value)} (${s.recordHigh.date}) and ${temperature(s.recordLow.value)} (${s.recordLow.date})`);
  return lines;
}

function sideBySide(places: ReportWithTips[]): string {
  const lines = ['⚖️ Side by side:'];
  for (const report of places) {
    if (!report.ok) {
      lines.push(`  • ${report.query}: no data`);
      continue;
    }
    const { high, low, rain } = headline(report);
    lines.push(`  • ${placeLabel(report.place)}: highs ${temperature(high)}, lows ${temperature(low)}, precipitation ${precipitation(rain)}`);
  }
  return lines.join('\n');
}

/**
 * One comparable figure per place. When the dates are covered by one kind of data (typical
 * weather, or recorded days), it is that section's own summary, so both lines show one number;
 * a mix (forecast plus recorded days) is the mean of every day.
 */
function headline(report: Extract<ReportWithTips, { ok: true }>): { high: number | null; low: number | null; rain: number | null } {
  const forecast = report.forecast ?? [];
  const kinds = [forecast.length > 0, report.past !== undefined && report.past !== null, Boolean(report.typical?.summary)].filter(Boolean).length;
  const typical = report.typical?.summary;
  if (kinds === 1 && typical) return { high: typical.meanHighC, low: typical.meanLowC, rain: typical.totalPrecipitationMm };
  if (kinds === 1 && report.past) {
    const past = report.past.summary;
    return { high: past.meanHighC, low: past.meanLowC, rain: past.totalPrecipitationMm };
  }
  const days = [...forecast, ...(report.past?.days ?? [])];
  const typicalDays = report.typical?.days ?? [];
  const highs = [...days.map((d) => d.high), ...typicalDays.map((d) => d.highC)].filter((v): v is number => v != null);
  const lows = [...days.map((d) => d.low), ...typicalDays.map((d) => d.lowC)].filter((v): v is number => v != null);
  const rains = [...days.map((d) => d.precipitation), ...typicalDays.map((d) => d.precipitationMm)].filter((v): v is number => v != null);
  const mean = (values: number[]) => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : null);
  return { high: mean(highs), low: mean(lows), rain: rains.length ? rains.reduce((a, b) => a + b, 0) : null };
}
