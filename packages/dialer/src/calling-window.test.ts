import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isOpen, localTime, nextOpening } from './calling-window.js';
import type { CallingWindow } from './model.js';

const utc = (iso: string) => Date.parse(iso);
const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());

const weekdaysNy: CallingWindow = {
  timeZone: 'America/New_York',
  days: [1, 2, 3, 4, 5],
  start: '09:00',
  end: '17:00',
};

describe('calling windows', () => {
  test('open and closed are judged in the window’s own time zone and weekdays', () => {
    // Monday 2030-01-07, 10:00 in New York (EST, UTC−5).
    assert.equal(isOpen(weekdaysNy, utc('2030-01-07T15:00:00Z')), true);
    // 08:59 and 17:00 local are outside; the end is exclusive.
    assert.equal(isOpen(weekdaysNy, utc('2030-01-07T13:59:00Z')), false);
    assert.equal(isOpen(weekdaysNy, utc('2030-01-07T22:00:00Z')), false);
    // Saturday at noon is not a calling day.
    assert.equal(isOpen(weekdaysNy, utc('2030-01-12T17:00:00Z')), false);
    // The same instant is Tuesday 00:00 in Tokyo: a Tokyo window of the same hours is closed.
    assert.equal(isOpen({ ...weekdaysNy, timeZone: 'Asia/Tokyo' }, utc('2030-01-07T15:00:00Z')), false);
    assert.deepEqual(localTime(utc('2030-01-07T15:00:00Z'), 'Asia/Tokyo'), { weekday: 2, minute: 0 });
  });

  test('a window past midnight belongs to the day it starts on', () => {
    const fridayNights: CallingWindow = {
      timeZone: 'Europe/Berlin',
      days: [5],
      start: '22:00',
      end: '02:00',
    };
    // Saturday 00:30 Berlin (CET, UTC+1) is still Friday night's window.
    assert.equal(isOpen(fridayNights, utc('2030-01-11T23:30:00Z')), true);
    // Saturday 02:00 is past it, and Saturday night is not a Friday.
    assert.equal(isOpen(fridayNights, utc('2030-01-12T01:00:00Z')), false);
    assert.equal(isOpen(fridayNights, utc('2030-01-12T21:30:00Z')), false);
    assert.equal(iso(nextOpening(fridayNights, utc('2030-01-12T01:00:00Z'))), '2030-01-18T21:00:00.000Z');
  });

  test('a contact due outside the window is deferred to the next opening', () => {
    // Monday 17:30 local: the next opening is Tuesday 09:00.
    assert.equal(iso(nextOpening(weekdaysNy, utc('2030-01-07T22:30:00Z'))), '2030-01-08T14:00:00.000Z');
    // Before the opening on a calling day: that same morning.
    assert.equal(iso(nextOpening(weekdaysNy, utc('2030-01-08T12:00:00Z'))), '2030-01-08T14:00:00.000Z');
    // Friday evening: Monday morning, skipping the weekend.
    assert.equal(iso(nextOpening(weekdaysNy, utc('2030-01-11T23:00:00Z'))), '2030-01-14T14:00:00.000Z');
    // Inside the window: now.
    const now = utc('2030-01-07T15:12:34Z');
    assert.equal(nextOpening(weekdaysNy, now), now);
    assert.equal(nextOpening({ ...weekdaysNy, days: [] }, now), null);
  });

  test('regression: the first opening after clocks go forward was an hour late', () => {
    // Sunday 2030-03-10 has 23 hours in New York. From Saturday 18:00 EST the window opens at
    // Sunday 09:00 EDT (13:00 UTC); adding 24-hour days used to give 10:00 EDT.
    const everyDay = { ...weekdaysNy, days: [1, 2, 3, 4, 5, 6, 7] };
    assert.equal(iso(nextOpening(everyDay, utc('2030-03-09T23:00:00Z'))), '2030-03-10T13:00:00.000Z');
    assert.equal(isOpen(everyDay, utc('2030-03-10T12:59:00Z')), false);
    assert.equal(isOpen(everyDay, utc('2030-03-10T13:00:00Z')), true);
  });

  test('a start time the clocks skip opens the window when they jump past it', () => {
    // 02:30 does not exist on 2030-03-10 in New York: 02:00 EST becomes 03:00 EDT (07:00 UTC).
    const early: CallingWindow = { timeZone: 'America/New_York', days: [7], start: '02:30', end: '05:00' };
    assert.equal(iso(nextOpening(early, utc('2030-03-10T05:00:00Z'))), '2030-03-10T07:00:00.000Z');
    assert.equal(iso(nextOpening(early, utc('2030-03-10T06:45:00Z'))), '2030-03-10T07:00:00.000Z');
  });

  test('after clocks go back the opening is still the local start time', () => {
    // Sunday 2030-11-03 has 25 hours in New York: 09:00 EST is 14:00 UTC.
    const sundays = { ...weekdaysNy, days: [7] };
    assert.equal(iso(nextOpening(sundays, utc('2030-11-02T22:00:00Z'))), '2030-11-03T14:00:00.000Z');
    // Southern hemisphere, clocks forward: Sydney 2030-10-06 02:00 AEST becomes 03:00 AEDT.
    const sydney: CallingWindow = { timeZone: 'Australia/Sydney', days: [7], start: '09:00', end: '12:00' };
    assert.equal(iso(nextOpening(sydney, utc('2030-10-05T12:00:00Z'))), '2030-10-05T22:00:00.000Z');
  });
});
