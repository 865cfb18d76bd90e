/**
 * Travel dates as people type them → a calendar window. Pure functions with an injectable
 * "today" (a `YYYY-MM-DD` string), so every form is testable without a clock.
 *
 * Understood: empty/`current`/`now`; `today`, `tomorrow`, `this week`, `next week`, `this weekend`,
 * `next weekend`, `this month`, `next month`, `next N days`; a month (`May`, `February 2026`,
 * `2026-02`); a day (`2027-05-03`, `May 3, 2027`, `3 May`); a range (`May 3-10, 2027`,
 * `3-10 May 2027`, `May 28 - June 3`, `2027-05-03 to 2027-05-10`). A missing year means the next
 * occurrence; a bare month that is the current month means the rest of this month.
 */
import { addDays, daysBetween, makeDate, monthEnd, MONTH_NAMES, parts, weekday, windowLabel, type IsoDate } from './calendar.js';

/** Longest window one request may cover: a month, which also bounds the archive call budget. */
export const MAX_WINDOW_DAYS = 31;
/** Oldest day the Open-Meteo archive holds. */
export const ARCHIVE_FIRST_DAY = '1940-01-01';

export type TravelDates =
  | { kind: 'current'; input: string; label: string }
  | { kind: 'window'; input: string; label: string; start: IsoDate; end: IsoDate };

export type DateParseResult = { ok: true; dates: TravelDates } | { ok: false; message: string };

export const DATE_EXAMPLES = '"current", "tomorrow", "this weekend", "next week", "May", "February 2026", "May 3-10, 2027", "2027-05-03 to 2027-05-10" or "2027-05-03"';

type PartialDay = { year?: number; month: number; day: number };

const MONTHS = new Map<string, number>();
MONTH_NAMES.forEach((name, index) => {
  MONTHS.set(name.toLowerCase(), index + 1);
  MONTHS.set(name.slice(0, 3).toLowerCase(), index + 1);
});
MONTHS.set('sept', 9);
const MONTH = `(${[...MONTHS.keys()].sort((a, b) => b.length - a.length).join('|')})`;

export function parseTravelDates(input: string | undefined, today: IsoDate): DateParseResult {
  const raw = (input ?? '').trim();
  const text = normalize(raw);
  if (['', 'current', 'now', 'current weather', 'current conditions', 'right now'].includes(text)) {
    return { ok: true, dates: { kind: 'current', input: raw, label: 'Current conditions' } };
  }
  const window = relative(text, today) ?? monthForm(text, today) ?? rangeForm(text, today) ?? singleDay(text, today);
  if (!window) return { ok: false, message: `Could not understand the travel dates "${raw}". Try for example ${DATE_EXAMPLES}.` };
  return validate(raw, window.start, window.end);
}

function validate(input: string, start: IsoDate, end: IsoDate): DateParseResult {
  if (daysBetween(start, end) < 0) {
    return { ok: false, message: `The travel dates "${input}" end (${end}) before they start (${start}); put the earlier date first.` };
  }
  const length = daysBetween(start, end) + 1;
  if (length > MAX_WINDOW_DAYS) {
    return { ok: false, message: `The travel dates "${input}" cover ${length} days; ask about at most ${MAX_WINDOW_DAYS} days at a time (e.g. one month).` };
  }
  if (start < ARCHIVE_FIRST_DAY) {
    return { ok: false, message: `Weather records start on ${ARCHIVE_FIRST_DAY}; "${input}" is earlier than that.` };
  }
  return { ok: true, dates: { kind: 'window', input, label: windowLabel(start, end), start, end } };
}

/** Lower case, one space, ASCII dashes, no ordinals or commas: `May 3rd–10th, 2027` → `may 3-10 2027`. */
function normalize(text: string): string {
  return text
    .toLowerCase()
    .replace(/[\u2010-\u2015\u2212]/g, '-')
    .replace(/(\d)(st|nd|rd|th)\b/g, '$1')
    .replace(/,/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

function relative(text: string, today: IsoDate): { start: IsoDate; end: IsoDate } | undefined {
  const day = (offset: number) => addDays(today, offset);
  const dow = weekday(today); // 0 Sunday … 6 Saturday
  const toSunday = (7 - dow) % 7;
  const { year, month } = parts(today);
  switch (text) {
    case 'today':
      return { start: today, end: today };
    case 'tomorrow':
      return { start: day(1), end: day(1) };
    case 'this week':
      return { start: today, end: day(toSunday) };
    case 'next week': // Monday to Sunday of the coming week
      return { start: day(toSunday + 1), end: day(toSunday + 7) };
    case 'this weekend':
    case 'weekend':
      if (dow === 0) return { start: today, end: today };
      return { start: day(6 - dow), end: day(7 - dow) };
    case 'next weekend':
      return { start: day(toSunday + 6), end: day(toSunday + 7) };
    case 'this month':
      return { start: today, end: monthEnd(year, month) };
    case 'next month': {
      const next = month === 12 ? { year: year + 1, month: 1 } : { year, month: month + 1 };
      return { start: makeDate(next.year, next.month, 1)!, end: monthEnd(next.year, next.month) };
    }
  }
  const nextDays = /^(?:the )?next (\d{1,2}) days$/.exec(text);
  if (nextDays) return { start: today, end: day(Number(nextDays[1]) - 1) };
  return undefined;
}

function monthForm(text: string, today: IsoDate): { start: IsoDate; end: IsoDate } | undefined {
  const iso = /^(\d{4})-(\d{2})$/.exec(text);
  const named = new RegExp(`^${MONTH}(?: (\\d{4}))?$`).exec(text);
  const reversed = new RegExp(`^(\\d{4}) ${MONTH}$`).exec(text);
  let year: number | undefined;
  let month: number | undefined;
  if (iso) [year, month] = [Number(iso[1]), Number(iso[2])];
  else if (named) [month, year] = [MONTHS.get(named[1]!), named[2] ? Number(named[2]) : undefined];
  else if (reversed) [year, month] = [Number(reversed[1]), MONTHS.get(reversed[2]!)];
  if (month === undefined || month < 1 || month > 12) return undefined;
  if (year === undefined) {
    const now = parts(today);
    if (month === now.month) return { start: today, end: monthEnd(now.year, month) };
    year = month > now.month ? now.year : now.year + 1;
  }
  const start = makeDate(year, month, 1);
  return start ? { start, end: monthEnd(year, month) } : undefined;
}

function rangeForm(text: string, today: IsoDate): { start: IsoDate; end: IsoDate } | undefined {
  // `may 3-10 2027` and `3-10 may 2027`: one month, two days.
  const sameMonth = new RegExp(`^${MONTH} (\\d{1,2}) ?- ?(\\d{1,2})(?: (\\d{4}))?$`).exec(text);
  if (sameMonth) return resolveRange({ month: MONTHS.get(sameMonth[1]!)!, day: Number(sameMonth[2]) }, { month: MONTHS.get(sameMonth[1]!)!, day: Number(sameMonth[3]) }, sameMonth[4], today);
  const dayFirst = new RegExp(`^(\\d{1,2}) ?- ?(\\d{1,2}) ${MONTH}(?: (\\d{4}))?$`).exec(text);
  if (dayFirst) return resolveRange({ month: MONTHS.get(dayFirst[3]!)!, day: Number(dayFirst[1]) }, { month: MONTHS.get(dayFirst[3]!)!, day: Number(dayFirst[2]) }, dayFirst[4], today);
  const isoPair = /^(\d{4}-\d{2}-\d{2}) ?-? ?(\d{4}-\d{2}-\d{2})$/.exec(text.replace(/ (?:to|through|thru|until|till) |\.\./, ' - '));
  if (isoPair) return resolveRange(dayParts(isoPair[1]!)!, dayParts(isoPair[2]!)!, undefined, today);
  const sides = text.split(/ (?:to|through|thru|until|till|-) |\.\.|(?<=[a-z] \d{1,2}) ?- ?(?=[a-z])/);
  if (sides.length !== 2) return undefined;
  const left = dayParts(sides[0]!.trim());
  const right = dayParts(sides[1]!.trim());
  return left && right ? resolveRange(left, right, undefined, today) : undefined;
}

function singleDay(text: string, today: IsoDate): { start: IsoDate; end: IsoDate } | undefined {
  const day = dayParts(text);
  if (!day) return undefined;
  return resolveRange(day, day, undefined, today);
}

/** `2027-05-03`, `2027/05/03`, `may 3`, `may 3 2027`, `3 may`, `3 may 2027`. */
function dayParts(text: string): PartialDay | undefined {
  const iso = /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})$/.exec(text);
  if (iso) return { year: Number(iso[1]), month: Number(iso[2]), day: Number(iso[3]) };
  const monthFirst = new RegExp(`^${MONTH} (\\d{1,2})(?: (\\d{4}))?$`).exec(text);
  if (monthFirst) return withYear({ month: MONTHS.get(monthFirst[1]!)!, day: Number(monthFirst[2]) }, monthFirst[3]);
  const dayFirst = new RegExp(`^(\\d{1,2}) ${MONTH}(?: (\\d{4}))?$`).exec(text);
  if (dayFirst) return withYear({ month: MONTHS.get(dayFirst[2]!)!, day: Number(dayFirst[1]) }, dayFirst[3]);
  return undefined;
}

function withYear(day: PartialDay, year: string | undefined): PartialDay {
  return year === undefined ? day : { ...day, year: Number(year) };
}

/**
 * Fills in missing years. A year written once (usually at the end) applies to both sides, and a
 * range that wraps the new year (`Dec 28 - Jan 3, 2027`) starts in the previous year. With no
 * year at all, the first occurrence that has not ended yet is meant.
 */
function resolveRange(left: PartialDay, right: PartialDay, sharedYear: string | undefined, today: IsoDate): { start: IsoDate; end: IsoDate } | undefined {
  const wraps = left.month * 100 + left.day > right.month * 100 + right.day;
  let endYear = right.year ?? (sharedYear === undefined ? undefined : Number(sharedYear));
  let startYear = left.year;
  if (endYear === undefined && startYear !== undefined) endYear = wraps ? startYear + 1 : startYear;
  if (startYear === undefined && endYear !== undefined) startYear = wraps ? endYear - 1 : endYear;
  if (startYear === undefined || endYear === undefined) {
    const thisYear = parts(today).year;
    const endThisYear = makeDate(wraps ? thisYear + 1 : thisYear, right.month, right.day);
    const base = endThisYear !== undefined && endThisYear < today ? thisYear + 1 : thisYear;
    startYear = base;
    endYear = wraps ? base + 1 : base;
  }
  const start = makeDate(startYear, left.month, left.day);
  const end = makeDate(endYear, right.month, right.day);
  return start && end ? { start, end } : undefined;
}
