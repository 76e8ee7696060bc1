import Holidays from 'date-holidays';
import { DateTime } from 'luxon';
import type { OfficeInterval, WeeklySchedule } from '#database';

/**
 * Office hours as pure arithmetic: whether an office is open at an instant, when it next opens,
 * and how much of a stretch of time fell within opening hours. Every computation goes through the
 * office's IANA zone with luxon, so a day is the local calendar day (23 or 25 hours long when the
 * clocks change) and "09:00" is 09:00 on the wall clock whatever the UTC offset.
 */
export interface OfficeHours {
  timezone: string;
  weekly: WeeklySchedule;
  /** Italian national holidays (Easter Monday included) are closing days. */
  closedOnHolidays: boolean;
  /** "MM-DD": the patron saint's day, closed every year. */
  patronDay: string | null;
  /** "YYYY-MM-DD": other closing days. */
  closedDates: readonly string[];
}

const TIME_RE = /^([01][0-9]|2[0-3]):([0-5][0-9])$|^24:00$/;
const WEEKDAYS = ['1', '2', '3', '4', '5', '6', '7'] as const;
const MAX_SEARCH_DAYS = 400;

/** What is wrong with a schedule, one line per problem; empty when it is usable. */
export function officeHoursProblems(h: OfficeHours): string[] {
  const problems: string[] = [];
  if (!DateTime.local().setZone(h.timezone).isValid) problems.push(`timezone: unknown zone ${h.timezone}`);
  for (const [day, intervals] of Object.entries(h.weekly)) {
    if (!(WEEKDAYS as readonly string[]).includes(day)) {
      problems.push(`weeklySchedule: ${day} is not a weekday (1 = Monday … 7 = Sunday)`);
      continue;
    }
    const list: unknown = intervals;
    if (
      !Array.isArray(list) ||
      list.some((iv: unknown) => typeof (iv as OfficeInterval | null)?.from !== 'string' || typeof (iv as OfficeInterval).to !== 'string')
    ) {
      problems.push(`weeklySchedule.${day}: a list of {"from": "HH:MM", "to": "HH:MM"}`);
      continue;
    }
    const sorted = [...(list as OfficeInterval[])].sort((a, b) => a.from.localeCompare(b.from));
    sorted.forEach((iv, i) => {
      if (!TIME_RE.test(iv.from) || !TIME_RE.test(iv.to) || iv.from === '24:00') problems.push(`weeklySchedule.${day}: times are HH:MM`);
      else if (iv.from >= iv.to) problems.push(`weeklySchedule.${day}: ${iv.from}–${iv.to} ends before it starts`);
      const next = sorted[i + 1];
      if (next && next.from < iv.to) problems.push(`weeklySchedule.${day}: ${iv.from}–${iv.to} overlaps ${next.from}–${next.to}`);
    });
  }
  if (h.patronDay !== null && !isCalendarDate(`2024-${h.patronDay}`)) problems.push('patronDay: must be MM-DD');
  for (const d of h.closedDates) if (!isCalendarDate(d)) problems.push(`closedDates: ${d} is not a YYYY-MM-DD date`);
  return problems;
}

/** Whether the office is closed all day on this local date (holiday, patron saint, closing day, or no hours). */
export function isClosingDay(h: OfficeHours, day: DateTime): boolean {
  const iso = day.toISODate() ?? '';
  if (h.closedDates.includes(iso)) return true;
  if (h.patronDay !== null && iso.slice(5) === h.patronDay) return true;
  if (h.closedOnHolidays && nationalHolidays(day.year).has(iso)) return true;
  return false;
}

export function isOfficeOpen(h: OfficeHours, at: Date): boolean {
  const day = DateTime.fromJSDate(at, { zone: h.timezone }).startOf('day');
  return openingsOf(h, day).some(([start, end]) => start <= at.getTime() && at.getTime() < end);
}

/** The instant the office next opens: `at` itself when it is open, null when it never opens within a year or so. */
export function nextOpening(h: OfficeHours, at: Date): Date | null {
  let day = DateTime.fromJSDate(at, { zone: h.timezone }).startOf('day');
  for (let i = 0; i < MAX_SEARCH_DAYS; i++) {
    for (const [start, end] of openingsOf(h, day)) {
      if (end > at.getTime()) return new Date(Math.max(start, at.getTime()));
    }
    day = day.plus({ days: 1 }).startOf('day');
  }
  return null;
}

/** How many milliseconds of [from, to) fell within opening hours (first-response times "within office hours"). */
export function officeMillisBetween(h: OfficeHours, from: Date, to: Date): number {
  if (to <= from) return 0;
  let total = 0;
  let day = DateTime.fromJSDate(from, { zone: h.timezone }).startOf('day');
  const lastDay = DateTime.fromJSDate(to, { zone: h.timezone }).startOf('day');
  while (day <= lastDay) {
    for (const [start, end] of openingsOf(h, day)) {
      total += Math.max(0, Math.min(end, to.getTime()) - Math.max(start, from.getTime()));
    }
    day = day.plus({ days: 1 }).startOf('day');
  }
  return total;
}

/**
 * When the office reopens, as a citizen reads it: "oggi alle 15:00", "domani alle 9:00",
 * "lunedì 7 aprile alle 9:00".
 */
export function describeOpening(opening: Date, now: Date, timezone: string): string {
  const at = DateTime.fromJSDate(opening, { zone: timezone }).setLocale('it');
  const today = DateTime.fromJSDate(now, { zone: timezone }).startOf('day');
  const time = at.toFormat('H:mm');
  const day = at.startOf('day');
  if (+day === +today) return `oggi alle ${time}`;
  if (+day === +today.plus({ days: 1 }).startOf('day')) return `domani alle ${time}`;
  return `${at.toFormat('cccc d LLLL')} alle ${time}`;
}

/** The local day's openings as [start, end) epoch milliseconds, in order; none on a closing day. */
function openingsOf(h: OfficeHours, day: DateTime): [number, number][] {
  if (isClosingDay(h, day)) return [];
  const intervals: OfficeInterval[] = h.weekly[String(day.weekday) as (typeof WEEKDAYS)[number]] ?? [];
  return intervals
    .map((iv): [number, number] => [localTime(day, iv.from), localTime(day, iv.to)])
    .filter(([start, end]) => end > start)
    .sort((a, b) => a[0] - b[0]);
}

/**
 * "HH:MM" on a local day. A wall-clock time the clocks skip (02:30 on the spring-forward night) is
 * moved forward by luxon; "24:00" is the next day's midnight.
 */
function localTime(day: DateTime, hhmm: string): number {
  if (hhmm === '24:00') return day.plus({ days: 1 }).startOf('day').toMillis();
  const [hour, minute] = hhmm.split(':').map(Number) as [number, number];
  return DateTime.fromObject({ year: day.year, month: day.month, day: day.day, hour, minute }, { zone: day.zone }).toMillis();
}

const holidayCache = new Map<number, Set<string>>();
const italy = new Holidays('IT');

/** Italian national public holidays of a year, as YYYY-MM-DD (observances such as Mother's Day excluded). */
export function nationalHolidays(year: number): Set<string> {
  let days = holidayCache.get(year);
  if (!days) {
    days = new Set(
      italy
        .getHolidays(year)
        .filter((d) => d.type === 'public')
        .map((d) => d.date.slice(0, 10)),
    );
    holidayCache.set(year, days);
  }
  return days;
}

function isCalendarDate(iso: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(iso) && DateTime.fromISO(iso).isValid;
}
