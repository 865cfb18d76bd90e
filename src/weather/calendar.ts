/**
 * Timezone-free calendar math on `YYYY-MM-DD` strings. Every computation goes through UTC
 * day numbers, so the host's timezone and DST switches can never shift a date by one.
 */

/** A calendar day as `YYYY-MM-DD`. */
export type IsoDate = string;

const DAY_MS = 86_400_000;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export const MONTH_NAMES = [
  'January', 'February', 'March', 'April', 'May', 'June',
  'July', 'August', 'September', 'October', 'November', 'December',
] as const;

const WEEKDAY_NAMES = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;

/** Builds a date from parts (month 1..12); undefined when the day does not exist (Feb 30). */
export function makeDate(year: number, month: number, day: number): IsoDate | undefined {
  if (!Number.isInteger(year) || !Number.isInteger(month) || !Number.isInteger(day)) return undefined;
  if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  return `${String(year).padStart(4, '0')}-${pad2(month)}-${pad2(day)}`;
}

export function isIsoDate(text: string): boolean {
  const match = ISO_DATE.exec(text);
  return match !== null && makeDate(Number(match[1]), Number(match[2]), Number(match[3])) === text;
}

export function parts(date: IsoDate): { year: number; month: number; day: number } {
  const match = ISO_DATE.exec(date);
  if (!match) throw new Error(`Not a YYYY-MM-DD date: ${date}`);
  return { year: Number(match[1]), month: Number(match[2]), day: Number(match[3]) };
}

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function toDayNumber(date: IsoDate): number {
  const { year, month, day } = parts(date);
  return Date.UTC(year, month - 1, day) / DAY_MS;
}

function fromDayNumber(dayNumber: number): IsoDate {
  const date = new Date(dayNumber * DAY_MS);
  return `${String(date.getUTCFullYear()).padStart(4, '0')}-${pad2(date.getUTCMonth() + 1)}-${pad2(date.getUTCDate())}`;
}

export function addDays(date: IsoDate, days: number): IsoDate {
  return fromDayNumber(toDayNumber(date) + days);
}

/** Whole days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: IsoDate, to: IsoDate): number {
  return toDayNumber(to) - toDayNumber(from);
}

/** 0 = Sunday … 6 = Saturday. */
export function weekday(date: IsoDate): number {
  return new Date(toDayNumber(date) * DAY_MS).getUTCDay();
}

export function weekdayName(date: IsoDate): string {
  return WEEKDAY_NAMES[weekday(date)]!;
}

export function monthEnd(year: number, month: number): IsoDate {
  return makeDate(year, month, daysInMonth(year, month))!;
}

/** The same calendar day in another year; Feb 29 becomes Feb 28 in common years. */
export function inYear(date: IsoDate, year: number): IsoDate {
  const { month, day } = parts(date);
  return makeDate(year, month, Math.min(day, daysInMonth(year, month)))!;
}

/** The host's calendar date; callers that need determinism pass their own "today". */
export function hostToday(now: Date = new Date()): IsoDate {
  return makeDate(now.getFullYear(), now.getMonth() + 1, now.getDate())!;
}

/** `Mon 2025-06-10`-style label used in day lines. */
export function dayLabel(date: IsoDate): string {
  return `${weekdayName(date)} ${date}`;
}

/** Human label for a window: `May 3–10, 2027`, `July 2024`, `Dec 28, 2026 – Jan 3, 2027`. */
export function windowLabel(start: IsoDate, end: IsoDate): string {
  const a = parts(start);
  const b = parts(end);
  if (start === end) return `${MONTH_NAMES[a.month - 1]} ${a.day}, ${a.year}`;
  if (a.year === b.year && a.month === b.month && a.day === 1 && b.day === daysInMonth(b.year, b.month)) {
    return `${MONTH_NAMES[a.month - 1]} ${a.year}`;
  }
  if (a.year === b.year && a.month === b.month) return `${MONTH_NAMES[a.month - 1]} ${a.day}–${b.day}, ${a.year}`;
  if (a.year === b.year) return `${MONTH_NAMES[a.month - 1]} ${a.day} – ${MONTH_NAMES[b.month - 1]} ${b.day}, ${a.year}`;
  return `${MONTH_NAMES[a.month - 1]} ${a.day}, ${a.year} – ${MONTH_NAMES[b.month - 1]} ${b.day}, ${b.year}`;
}

function pad2(value: number): string {
  return String(value).padStart(2, '0');
}
