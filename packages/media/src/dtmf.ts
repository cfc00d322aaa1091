import { encodeSamples } from './codec.js';
import type { AudioFormat, AudioFrame } from './format.js';

/** RFC 4733 telephone-event payload (protocols.md §10.4). */
export interface TelephoneEvent {
  /** 0–9 digits, 10 `*`, 11 `#`, 12–15 `A`–`D`, 16 flash. */
  event: number;
  /** E bit: the last packet(s) of the event. */
  end: boolean;
  /** Power level in −dBm0, 0–63. */
  volume: number;
  /** Duration so far in RTP timestamp units (8 kHz for telephone audio). */
  duration: number;
}

export type DtmfDigit =
  | '0'
  | '1'
  | '2'
  | '3'
  | '4'
  | '5'
  | '6'
  | '7'
  | '8'
  | '9'
  | '*'
  | '#'
  | 'A'
  | 'B'
  | 'C'
  | 'D';

const DIGITS = '0123456789*#ABCD';

/** Event code for a digit (case-insensitive), or undefined. */
export function dtmfEventCode(digit: string): number | undefined {
  const i = DIGITS.indexOf(digit.toUpperCase());
  return i < 0 || digit.length !== 1 ? undefined : i;
}

/** Digit for an event code 0–15, or undefined (16 is flash, not a digit). */
export function dtmfDigit(event: number): DtmfDigit | undefined {
  return DIGITS[event] as DtmfDigit | undefined;
}

export function encodeTelephoneEvent(e: TelephoneEvent): Uint8Array {
  const b = new Uint8Array(4);
  b[0] = e.event & 0xff;
  b[1] = (e.end ? 0x80 : 0) | (Math.max(0, Math.min(63, e.volume)) & 0x3f);
  const d = Math.max(0, Math.min(0xffff, Math.round(e.duration)));
  b[2] = d >> 8;
  b[3] = d & 0xff;
  return b;
}

/** Parses a telephone-event payload; undefined when it is shorter than 4 bytes. */
export function decodeTelephoneEvent(payload: Uint8Array): TelephoneEvent | undefined {
  if (payload.length < 4) return undefined;
  return {
    event: payload[0]!,
    end: (payload[1]! & 0x80) !== 0,
    volume: payload[1]! & 0x3f,
    duration: (payload[2]! << 8) | payload[3]!,
  };
}

export const DTMF_ROW_HZ = [697, 770, 852, 941] as const;
export const DTMF_COL_HZ = [1209, 1336, 1477, 1633] as const;
const KEYPAD = ['123A', '456B', '789C', '*0#D'];

/** Row and column frequencies of a digit, or undefined. */
export function dtmfFrequencies(digit: string): [number, number] | undefined {
  const d = digit.toUpperCase();
  for (let r = 0; r < 4; r++) {
    const c = KEYPAD[r]!.indexOf(d);
    if (c >= 0 && d.length === 1) return [DTMF_ROW_HZ[r]!, DTMF_COL_HZ[c]!];
  }
  return undefined;
}

/** Digit for a (row, column) index pair. */
export const dtmfDigitAt = (row: number, col: number): DtmfDigit => KEYPAD[row]![col] as DtmfDigit;

/**
 * An in-band DTMF tone: both frequencies at `amplitude` of full scale each (default 0.25,
 * about −15 dBFS per tone, well inside the usual −3…−25 dBm0 receiver range), with 5 ms
 * ramps so the edges do not click.
 */
export function generateDtmfTone(
  digit: string,
  format: AudioFormat,
  durationMs: number,
  amplitude = 0.25,
): AudioFrame {
  const f = dtmfFrequencies(digit);
  if (!f) throw new RangeError(`not a DTMF digit: ${JSON.stringify(digit)}`);
  const rate = format.sampleRate;
  const n = Math.round((rate * durationMs) / 1000);
  const ramp = Math.min(Math.round(rate * 0.005), n >> 1);
  const s = new Int16Array(n);
  const w1 = (2 * Math.PI * f[0]) / rate;
  const w2 = (2 * Math.PI * f[1]) / rate;
  for (let i = 0; i < n; i++) {
    const env = ramp > 0 ? Math.min(1, i / ramp, (n - 1 - i) / ramp) : 1;
    s[i] = Math.round((Math.sin(w1 * i) + Math.sin(w2 * i)) * amplitude * env * 32767);
  }
  return { format, data: encodeSamples(s, format.encoding) };
}
