/**
 * The JSON the Python weather program answers with, validated at the edge (it crossed a sandbox
 * boundary and may come from a remote backend). Temperatures °C, wind km/h, precipitation mm.
 */
import { z } from 'zod';

const num = z.number().nullable();
const extreme = z.object({ date: z.string(), value: z.number() }).nullable();

export const placeSchema = z.object({
  name: z.string().nullable(),
  latitude: z.number(),
  longitude: z.number(),
  timezone: z.string(),
  country: z.string().nullish(),
  countryCode: z.string().nullish(),
  admin1: z.string().nullish(),
  source: z.enum(['table', 'geocoding']),
  alternatives: z.array(z.string()).optional(),
});

export const currentSchema = z.object({
  time: z.string().nullish(),
  temperatureC: num,
  feelsLikeC: num,
  humidity: num,
  windKmh: num,
  windDirection: num,
  code: num,
  isDay: num,
  precipitationMm: num,
  cloudCover: num,
});

export const forecastDaySchema = z.object({
  date: z.string(),
  code: num,
  high: num,
  low: num,
  precipitation: num,
  precipitationProbability: num,
  windMax: num,
  uvMax: num,
  sunrise: z.string().nullish(),
  sunset: z.string().nullish(),
});

export const archiveDaySchema = z.object({
  date: z.string(),
  code: num,
  high: num,
  low: num,
  mean: num,
  precipitation: num,
  precipitationHours: num,
  sunshine: num,
});

export const daysSummarySchema = z.object({
  days: z.number(),
  missingDays: z.number(),
  meanHighC: num,
  meanLowC: num,
  totalPrecipitationMm: num,
  wetDays: num,
  sunshineHoursPerDay: num,
  hottest: extreme,
  coldest: extreme,
});

export const typicalSchema = z.object({
  start: z.string(),
  end: z.string(),
  yearsUsed: z.array(z.number()),
  yearsSkipped: z.array(z.object({ year: z.number(), reason: z.string() })),
  summary: z
    .object({
      meanHighC: num,
      meanLowC: num,
      p10HighC: num,
      p90HighC: num,
      p10LowC: num,
      p90LowC: num,
      totalPrecipitationMm: num,
      wetDays: num,
      sunshineHoursPerDay: num,
      recordHigh: extreme,
      recordLow: extreme,
      conditions: z.record(z.string(), z.number()),
    })
    .nullable(),
  days: z.array(z.object({ date: z.string(), highC: num, lowC: num, precipitationMm: num, wetChance: num })),
});

export const placeReportSchema = z.union([
  z.object({
    query: z.string(),
    ok: z.literal(true),
    place: placeSchema,
    current: currentSchema.nullish(),
    forecast: z.array(forecastDaySchema).optional(),
    past: z.object({ start: z.string(), end: z.string(), days: z.array(archiveDaySchema), summary: daysSummarySchema }).optional(),
    typical: typicalSchema.optional(),
  }),
  z.object({ query: z.string(), ok: z.literal(false), message: z.string() }),
]);

export const programAnswerSchema = z.union([
  z.object({ places: z.array(placeReportSchema), calls: z.number(), chart: z.object({ file: z.string() }).optional() }),
  z.object({ fatal: z.string() }),
]);

export type PlaceInfo = z.infer<typeof placeSchema>;
export type CurrentConditions = z.infer<typeof currentSchema>;
export type ForecastDay = z.infer<typeof forecastDaySchema>;
export type ArchiveDay = z.infer<typeof archiveDaySchema>;
export type DaysSummary = z.infer<typeof daysSummarySchema>;
export type TypicalWeather = z.infer<typeof typicalSchema>;
export type PlaceReport = z.infer<typeof placeReportSchema>;
export type ProgramAnswer = z.infer<typeof programAnswerSchema>;
