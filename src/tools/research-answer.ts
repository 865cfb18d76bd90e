/** Whether a research_weather output is an answer a traveller can use, or a failure told in words. */
import type { ResearchWeatherOutput } from './types.js';

export type ResearchAnswer = { ok: true } | { ok: false; reason: string };

/** An answer carries no error and at least one place that could be researched. */
export function researchAnswer(output: ResearchWeatherOutput | undefined): ResearchAnswer {
  if (!output) return { ok: false, reason: 'no output' };
  if (output.data.error) return { ok: false, reason: output.data.error };
  const failed = output.data.places.filter((place) => !place.ok);
  if (output.data.places.length > failed.length) return { ok: true };
  const first = failed[0] as { message?: string } | undefined;
  return { ok: false, reason: first?.message ?? 'no place could be researched' };
}
