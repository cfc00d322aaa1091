import { digitToTelephoneEvent } from './rfc4733.js';

export interface DtmfEventPlan {
  event: number;
  /** Tone length; 100 ms is above every receiver's minimum and keeps digit strings quick. */
  durationMs: number;
  /** Pause after the tone before the next digit. */
  gapMs: number;
}

/** Validates a digit string (0-9 * # A-D, ',' = 500 ms pause) and plans its events. */
export function dtmfEvents(digits: string, durationMs = 100, gapMs = 60): DtmfEventPlan[] {
  const out: DtmfEventPlan[] = [];
  for (const d of digits) {
    if (d === ',') {
      const last = out.at(-1);
      if (last) last.gapMs += 500;
      continue;
    }
    const event = digitToTelephoneEvent(d);
    if (event === undefined) throw new RangeError(`not a DTMF digit: ${JSON.stringify(d)}`);
    out.push({ event, durationMs, gapMs });
  }
  return out;
}
