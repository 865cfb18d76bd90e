/** The structured form of a weather research answer (what `compare` compares; banners excluded). */
import type { IsoDate } from '../weather/calendar.js';
import type { TravelDates } from '../weather/dates.js';
import type { ReportWithTips } from '../weather/format.js';
import type { WeatherPlan } from '../weather/plan.js';

export interface WeatherResearchData {
  destination: string;
  dates?: TravelDates;
  today: IsoDate;
  plan?: WeatherPlan;
  places: ReportWithTips[];
  /** Set when nothing could be researched (dates or places not understood, program failure). */
  error?: string;
  /** Open-Meteo requests the program made. */
  calls?: number;
}
