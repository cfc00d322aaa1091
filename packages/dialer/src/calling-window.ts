import type { CallingWindow } from './model.js';

const WEEKDAYS: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Weekday (1 = Monday) and minute of the day at `at` in `timeZone`. */
export function localTime(at: number, timeZone: string): { weekday: number; minute: number } {
  let weekday = 0;
  let hour = 0;
  let minute = 0;
  for (const p of formatter(timeZone).formatToParts(at)) {
    if (p.type === 'weekday') weekday = WEEKDAYS[p.value] ?? 0;
    else if (p.type === 'hour') hour = Number(p.value);
    else if (p.type === 'minute') minute = Number(p.value);
  }
  return { weekday, minute: hour * 60 + minute };
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
 * never opens. Jumps straight to the next local start time and re-checks, which also absorbs
 * daylight-saving shifts.
 */
export function nextOpening(window: CallingWindow, from: number): number | null {
  if (window.days.length === 0) return null;
  if (isOpen(window, from)) return from;
  const start = parseHhMm(window.start);
  let at = Math.ceil(from / 60_000) * 60_000;
  for (let i = 0; i < 32; i++) {
    if (isOpen(window, at)) return at;
    const { minute } = localTime(at, window.timeZone);
    const ahead = minute < start ? start - minute : 1440 - minute + start;
    at += ahead * 60_000;
  }
  // Fall back to a minute-by-minute scan over a week (only odd zones with shifts get here).
  for (let m = 0; m < 8 * 1440; m++) {
    const t = Math.ceil(from / 60_000) * 60_000 + m * 60_000;
    if (isOpen(window, t)) return t;
  }
  return null;
}
