/** Packing tips computed from a place's numbers: heat, cold, rain, snow, storms, wind, UV, day–night swing. */
import type { PlaceReport } from './report.js';
import { temperature, windSpeed } from './units.js';
import { isSnowCode, isThunderCode } from './wmo.js';

type OkReport = Extract<PlaceReport, { ok: true }>;

interface Extremes {
  highs: number[];
  lows: number[];
  wetDays: number;
  days: number;
  totalRainMm: number;
  windMaxKmh?: number;
  uvMax?: number;
  snow: boolean;
  thunder: boolean;
}

const WET_MM = 1;
const RAINY_PROBABILITY = 50;

function collect(report: OkReport): Extremes {
  const e: Extremes = { highs: [], lows: [], wetDays: 0, days: 0, totalRainMm: 0, snow: false, thunder: false };
  const maxOf = (a: number | undefined, b: number | null) => (b == null ? a : a === undefined ? b : Math.max(a, b));
  if (report.current?.temperatureC != null) e.highs.push(report.current.temperatureC);
  if (report.current?.windKmh != null) e.windMaxKmh = report.current.windKmh;
  for (const day of [...(report.forecast ?? []), ...(report.past?.days ?? [])]) {
    if (day.high != null) e.highs.push(day.high);
    if (day.low != null) e.lows.push(day.low);
    e.days += 1;
    const probability = 'precipitationProbability' in day ? day.precipitationProbability : null;
    if ((day.precipitation ?? 0) >= WET_MM || (probability ?? 0) >= RAINY_PROBABILITY) e.wetDays += 1;
    e.totalRainMm += day.precipitation ?? 0;
    if ('windMax' in day) e.windMaxKmh = maxOf(e.windMaxKmh, day.windMax);
    if ('uvMax' in day) e.uvMax = maxOf(e.uvMax, day.uvMax);
    e.snow ||= isSnowCode(day.code);
    e.thunder ||= isThunderCode(day.code);
  }
  const typical = report.typical?.summary;
  if (typical && report.typical) {
    if (typical.p90HighC != null) e.highs.push(typical.p90HighC);
    if (typical.p10LowC != null) e.lows.push(typical.p10LowC);
    e.days += report.typical.days.length;
    e.wetDays += typical.wetDays ?? 0;
    e.totalRainMm += typical.totalPrecipitationMm ?? 0;
    e.snow ||= (typical.conditions.snow ?? 0) >= 0.05;
    e.thunder ||= (typical.conditions.thunder ?? 0) >= 0.05;
  }
  return e;
}

export function packingTips(report: OkReport): string[] {
  const e = collect(report);
  const tips: string[] = [];
  const hottest = e.highs.length ? Math.max(...e.highs) : undefined;
  const coldest = e.lows.length ? Math.min(...e.lows) : undefined;
  if (hottest !== undefined && hottest >= 30) tips.push(`Hot: light, breathable clothes, a sun hat and a refillable water bottle (highs up to ${temperature(hottest)}).`);
  else if (hottest !== undefined && hottest >= 22) tips.push(`Warm days: T-shirts, shorts or light trousers, comfortable walking shoes (highs up to ${temperature(hottest)}).`);
  if (coldest !== undefined && coldest <= 0) tips.push(`Freezing: insulated coat, hat, gloves, scarf and warm waterproof boots (lows down to ${temperature(coldest)}).`);
  else if (coldest !== undefined && coldest <= 8) tips.push(`Cold: a warm jacket and a sweater, plus a hat for mornings and evenings (lows down to ${temperature(coldest)}).`);
  else if (coldest !== undefined && coldest <= 15) tips.push(`Cool evenings: bring a light jacket or sweater (lows around ${temperature(coldest)}).`);
  if (hottest !== undefined && coldest !== undefined && hottest - coldest >= 12) {
    tips.push(`Large day–night swing (${(hottest - coldest).toFixed(0)}°C): dress in layers.`);
  }
  if (e.wetDays >= 1) {
    const share = e.days > 0 ? ` on about ${Math.round(e.wetDays)} of ${e.days} days` : '';
    tips.push(`Rain likely${share}: pack a compact umbrella and a waterproof jacket${e.totalRainMm >= 30 ? ', and shoes that can get wet' : ''}.`);
  }
  if (e.snow) tips.push('Snow is possible: waterproof boots with grip and warm socks.');
  if (e.thunder) tips.push('Thunderstorms are possible: keep indoor alternatives for stormy afternoons.');
  if (e.windMaxKmh !== undefined && e.windMaxKmh >= 35) tips.push(`Windy (up to ${windSpeed(e.windMaxKmh)}): a windproof layer; leave the umbrella that flips easily.`);
  if (e.uvMax !== undefined && e.uvMax >= 6) tips.push(`Strong sun (UV index up to ${e.uvMax.toFixed(0)}): sunscreen SPF 30+, sunglasses and a hat.`);
  if (tips.length === 0) tips.push('Mild and settled: comfortable layers cover it.');
  return tips;
}
