import { describe, expect, test } from 'vitest';
import { addDays, daysBetween, inYear, weekday, windowLabel } from '../../src/weather/calendar.js';
import { parseTravelDates, type TravelDates } from '../../src/weather/dates.js';
import { planWeather, referenceYears } from '../../src/weather/plan.js';

// A Tuesday.
const TODAY = '2025-06-10';

function window(input: string | undefined, today = TODAY): { start: string; end: string } {
  const result = parseTravelDates(input, today);
  if (!result.ok) throw new Error(result.message);
  if (result.dates.kind !== 'window') throw new Error(`expected a window for ${input}`);
  return { start: result.dates.start, end: result.dates.end };
}

describe('calendar math without timezones', () => {
  test('adds days across month, year and leap-day boundaries', () => {
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(addDays('2025-02-28', 1)).toBe('2025-03-01');
    expect(addDays('2025-12-31', 1)).toBe('2026-01-01');
    expect(addDays('2025-03-30', -30)).toBe('2025-02-28');
    expect(daysBetween('2024-01-01', '2025-01-01')).toBe(366);
    expect(weekday(TODAY)).toBe(2);
    expect(inYear('2024-02-29', 2023)).toBe('2023-02-28');
  });

  test('labels windows the way people write them', () => {
    expect(windowLabel('2026-02-01', '2026-02-28')).toBe('February 2026');
    expect(windowLabel('2027-05-03', '2027-05-10')).toBe('May 3–10, 2027');
    expect(windowLabel('2026-12-28', '2027-01-03')).toBe('December 28, 2026 – January 3, 2027');
  });
});

describe('parseTravelDates', () => {
  test('empty, "current" and "now" mean current conditions', () => {
    for (const input of [undefined, '', '  ', 'current', 'Now', 'current conditions']) {
      const result = parseTravelDates(input, TODAY);
      expect(result.ok && result.dates.kind).toBe('current');
    }
  });

  test('months: named with a year, bare (next occurrence), ISO, and the current month', () => {
    expect(window('February 2026')).toEqual({ start: '2026-02-01', end: '2026-02-28' });
    expect(window('Feb 2028')).toEqual({ start: '2028-02-01', end: '2028-02-29' });
    expect(window('May')).toEqual({ start: '2026-05-01', end: '2026-05-31' }); // May 2025 is over
    expect(window('july')).toEqual({ start: '2025-07-01', end: '2025-07-31' });
    expect(window('2026-02')).toEqual({ start: '2026-02-01', end: '2026-02-28' });
    expect(window('June')).toEqual({ start: TODAY, end: '2025-06-30' }); // the rest of this month
    expect(window('June 2025')).toEqual({ start: '2025-06-01', end: '2025-06-30' });
  });

  test('day ranges in the usual spellings', () => {
    const may = { start: '2027-05-03', end: '2027-05-10' };
    expect(window('May 3-10, 2027')).toEqual(may);
    expect(window('May 3rd – 10th 2027')).toEqual(may);
    expect(window('3-10 May 2027')).toEqual(may);
    expect(window('2027-05-03 to 2027-05-10')).toEqual(may);
    expect(window('2027-05-03..2027-05-10')).toEqual(may);
    expect(window('2027-05-03 - 2027-05-10')).toEqual(may);
    expect(window('May 3, 2027 to May 10, 2027')).toEqual(may);
    expect(window('May 28 - June 3, 2027')).toEqual({ start: '2027-05-28', end: '2027-06-03' });
    expect(window('May 28-June 3')).toEqual({ start: '2026-05-28', end: '2026-06-03' });
    expect(window('Dec 28 - Jan 3, 2027')).toEqual({ start: '2026-12-28', end: '2027-01-03' });
    expect(window('Dec 28 - Jan 3')).toEqual({ start: '2025-12-28', end: '2026-01-03' });
    expect(window('June 20-25')).toEqual({ start: '2025-06-20', end: '2025-06-25' });
  });

  test('single dates', () => {
    expect(window('2027-05-03')).toEqual({ start: '2027-05-03', end: '2027-05-03' });
    expect(window('May 3, 2027')).toEqual({ start: '2027-05-03', end: '2027-05-03' });
    expect(window('3 May')).toEqual({ start: '2026-05-03', end: '2026-05-03' });
    expect(window('June 12')).toEqual({ start: '2025-06-12', end: '2025-06-12' });
  });

  test('relative phrases from a Tuesday', () => {
    expect(window('today')).toEqual({ start: TODAY, end: TODAY });
    expect(window('tomorrow')).toEqual({ start: '2025-06-11', end: '2025-06-11' });
    expect(window('this week')).toEqual({ start: TODAY, end: '2025-06-15' });
    expect(window('next week')).toEqual({ start: '2025-06-16', end: '2025-06-22' });
    expect(window('this weekend')).toEqual({ start: '2025-06-14', end: '2025-06-15' });
    expect(window('next weekend')).toEqual({ start: '2025-06-21', end: '2025-06-22' });
    expect(window('next month')).toEqual({ start: '2025-07-01', end: '2025-07-31' });
    expect(window('next 10 days')).toEqual({ start: TODAY, end: '2025-06-19' });
  });

  test('the weekend seen from Saturday and Sunday', () => {
    expect(window('this weekend', '2025-06-14')).toEqual({ start: '2025-06-14', end: '2025-06-15' });
    expect(window('this weekend', '2025-06-15')).toEqual({ start: '2025-06-15', end: '2025-06-15' });
    expect(window('next week', '2025-06-15')).toEqual({ start: '2025-06-16', end: '2025-06-22' });
  });

  test('unparseable or impossible dates give a message with examples, never a guess', () => {
    for (const input of ['sometime soon', 'Febtember 2026', 'May 35', '2025-02-30', '13/45/2025']) {
      const result = parseTravelDates(input, TODAY);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.message).toContain('"May 3-10, 2027"');
    }
    const backwards = parseTravelDates('2027-05-10 to 2027-05-03', TODAY);
    expect(!backwards.ok && backwards.message).toContain('before they start');
    const long = parseTravelDates('2027-01-01 to 2027-03-01', TODAY);
    expect(!long.ok && long.message).toContain('at most 31 days');
    const ancient = parseTravelDates('July 1900', TODAY);
    expect(!ancient.ok && ancient.message).toContain('1940-01-01');
  });
});

describe('planWeather splits the window by horizon', () => {
  const dates = (start: string, end: string): TravelDates => ({ kind: 'window', input: '', label: '', start, end });

  test('current conditions: current plus a 5-day forecast', () => {
    expect(planWeather({ kind: 'current', input: '', label: '' }, TODAY)).toEqual({ current: true, forecast: { start: TODAY, end: '2025-06-14' } });
  });

  test('inside the 16-day horizon: forecast for exactly those days', () => {
    expect(planWeather(dates('2025-06-20', '2025-06-25'), TODAY)).toEqual({ current: false, forecast: { start: '2025-06-20', end: '2025-06-25' } });
    expect(planWeather(dates(TODAY, '2025-06-25'), TODAY)).toEqual({ current: true, forecast: { start: TODAY, end: '2025-06-25' } });
  });

  test('past days: what happened', () => {
    expect(planWeather(dates('2024-07-01', '2024-07-31'), TODAY)).toEqual({ current: false, past: { start: '2024-07-01', end: '2024-07-31' } });
  });

  test('beyond the horizon: typical weather from the last 10 complete years', () => {
    const plan = planWeather(dates('2025-08-01', '2025-08-31'), TODAY);
    expect(plan.forecast).toBeUndefined();
    expect(plan.typical?.start).toBe('2025-08-01');
    expect(plan.typical?.years.map((y) => y.year)).toEqual([2024, 2023, 2022, 2021, 2020, 2019, 2018, 2017, 2016, 2015]);
    expect(plan.typical?.years[0]).toEqual({ year: 2024, start: '2024-08-01', end: '2024-08-31' });
  });

  test('a window across horizons is split at the boundaries', () => {
    const plan = planWeather(dates('2025-06-05', '2025-07-05'), TODAY);
    expect(plan.past).toEqual({ start: '2025-06-05', end: '2025-06-09' });
    expect(plan.forecast).toEqual({ start: TODAY, end: '2025-06-25' });
    expect(plan.current).toBe(true);
    expect(plan.typical).toMatchObject({ start: '2025-06-26', end: '2025-07-05' });
  });

  test('reference years skip a year whose window has not reached the archive yet', () => {
    // June 1-5 2025 ended five days ago: still inside the archive delay, so 2025 is not used.
    expect(referenceYears({ start: '2025-06-01', end: '2025-06-05' }, TODAY, 2).map((y) => y.year)).toEqual([2024, 2023]);
    expect(referenceYears({ start: '2026-05-28', end: '2026-06-01' }, TODAY, 1)).toEqual([{ year: 2025, start: '2025-05-28', end: '2025-06-01' }]);
    // Windows that wrap the new year keep their length; Feb 29 folds to Feb 28.
    expect(referenceYears({ start: '2025-12-28', end: '2026-01-03' }, TODAY, 1)).toEqual([{ year: 2024, start: '2024-12-28', end: '2025-01-03' }]);
    expect(referenceYears({ start: '2028-02-29', end: '2028-03-01' }, TODAY, 1)).toEqual([{ year: 2025, start: '2025-02-28', end: '2025-03-01' }]);
  });
});
