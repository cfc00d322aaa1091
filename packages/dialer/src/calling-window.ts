import type { CallingWindow } from './model.js';

const WEEKDAYS: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

interface WallClock {
  year: number;
  month: number;
  day: number;
  /** 1 = Monday … 7 = Sunday. */
  weekday: number;
  /** Minute of the day. */
  minute: number;
}

function wallClock(at: number, timeZone: string): WallClock {
  const w: WallClock = { year: 0, month: 0, day: 0, weekday: 0, minute: 0 };
  let hour = 0;
  let minute = 0;
  for (const p of formatter(timeZone).formatToParts(at)) {
    if (p.type === 'weekday') w.weekday = WEEKDAYS[p.value] ?? 0;
    else if (p.type === 'year') w.year = Number(p.value);
    else if (p.type === 'month') w.month = Number(p.value);
    else if (p.type === 'day') w.day = Number(p.value);
    else if (p.type === 'hour') hour = Number(p.value);
    else if (p.type === 'minute') minute = Number(p.value);
  }
  w.minute = hour * 60 + minute;
  return w;
}

/** Weekday (1 = Monday) and minute of the day at `at` in `timeZone`. */
export function localTime(at: number, timeZone: string): { weekday: number; minute: number } {
  const { weekday, minute } = wallClock(at, timeZone);
  return { weekday, minute };
}

/** How far the zone's wall clock is ahead of UTC at `at` (whole minutes). */
function offsetMs(at: number, timeZone: string): number {
  const w = wallClock(at, timeZone);
  return Date.UTC(w.year, w.month - 1, w.day) + w.minute * 60_000 - Math.floor(at / 60_000) * 60_000;
}

/**
 * The instant the zone's wall clock shows `minute` on the given local date. A wall time that is
 * repeated (clocks going back) gives its first occurrence; one skipped (clocks going forward)
 * gives an instant just before the gap, which the caller steps over.
 */
function zonedInstant(year: number, month: number, day: number, minute: number, timeZone: string): number {
  const wall = Date.UTC(year, month - 1, day) + minute * 60_000;
  const guess = wall - offsetMs(wall, timeZone);
  return wall - offsetMs(guess, timeZone);
}

export const parseHhMm = (s: string): number => {
  const [h, m] = s.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
};

export function isValidTimeZone(tz: string): boolean {
  try {
    formatter(tz);
    return true;
  } catch {
    return false;
  }
}

/** Whether `at` falls inside the window. A window past midnight belongs to the day it starts on. */
export function isOpen(window: CallingWindow, at: number): boolean {
  const { weekday, minute } = localTime(at, window.timeZone);
  const start = parseHhMm(window.start);
  const end = parseHhMm(window.end);
  if (start < end) return window.days.includes(weekday) && minute >= start && minute < end;
  if (minute >= start) return window.days.includes(weekday);
  const yesterday = weekday === 1 ? 7 : weekday - 1;
  return minute < end && window.days.includes(yesterday);
}

/**
 * The next moment at or after `from` when the window is open (minute precision), or null when it
 * never opens. Closed at `from`, the window next opens at its local start time on an allowed day,
 * computed from the local date rather than by adding 24-hour days, so a day of 23 or 25 hours
 * (daylight saving) does not shift the opening. A start time the clocks skip that day opens the
 * window when the clocks reach past it.
 */
export function nextOpening(window: CallingWindow, from: number): number | null {
  if (window.days.length === 0) return null;
  if (isOpen(window, from)) return from;
  const start = parseHhMm(window.start);
  const today = wallClock(from, window.timeZone);
  for (let i = 0; i <= 8; i++) {
    const date = new Date(Date.UTC(today.year, today.month - 1, today.day + i));
    const weekday = date.getUTCDay() === 0 ? 7 : date.getUTCDay();
    if (!window.days.includes(weekday)) continue;
    let at = zonedInstant(
      date.getUTCFullYear(),
      date.getUTCMonth() + 1,
      date.getUTCDate(),
      start,
      window.timeZone,
    );
    const skipped = localTime(at, window.timeZone).minute !== start;
    if (at < from && !skipped) continue;
    // A skipped start time (a gap is at most a few hours anywhere): the first minute it is open.
    at = Math.max(at, Math.ceil(from / 60_000) * 60_000);
    for (let m = 0; m < 240 && !isOpen(window, at); m++) at += 60_000;
    if (isOpen(window, at)) return at;
  }
  return null;
}
