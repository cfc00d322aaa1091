/**
 * RFC 4733 telephone-event payload (DTMF over RTP): 4 bytes after the RTP header.
 * Event numbers: 0-9 digits, 10 `*`, 11 `#`, 12-15 A-D, 16 flash.
 */
import { RtpParseError } from './errors.js';

export interface TelephoneEvent {
  event: number;
  /** E bit: the last packets of an event carry it (sent three times). */
  end: boolean;
  /** 0-63, in -dBm0 (10 is common). */
  volume: number;
  /** In RTP timestamp units since the event began; cumulative. */
  duration: number;
}

const DIGITS = '0123456789*#ABCD';

export function decodeTelephoneEvent(payload: Uint8Array): TelephoneEvent {
  if (payload.length < 4) throw new RtpParseError('telephone-event payload shorter than 4 bytes');
  const b1 = payload[1] ?? 0;
  return {
    event: payload[0] ?? 0,
    end: (b1 & 0x80) !== 0,
    volume: b1 & 0x3f,
    duration: ((payload[2] ?? 0) << 8) | (payload[3] ?? 0),
  };
}

export function encodeTelephoneEvent(e: TelephoneEvent): Buffer {
  if (!Number.isInteger(e.event) || e.event < 0 || e.event > 255) throw new RangeError('event must be 0-255');
  if (!Number.isInteger(e.volume) || e.volume < 0 || e.volume > 63)
    throw new RangeError('volume must be 0-63');
  if (!Number.isInteger(e.duration) || e.duration < 0 || e.duration > 0xffff) {
    throw new RangeError('duration must be 0-65535');
  }
  return Buffer.from([e.event, (e.end ? 0x80 : 0) | e.volume, e.duration >> 8, e.duration & 0xff]);
}

/** `0`-`9`, `*`, `#`, `A`-`D` for events 0-15; undefined for flash and others. */
export const telephoneEventToDigit = (event: number): string | undefined =>
  event >= 0 && event < 16 ? DIGITS[event] : undefined;

export function digitToTelephoneEvent(digit: string): number | undefined {
  const i = digit.length === 1 ? DIGITS.indexOf(digit.toUpperCase()) : -1;
  return i < 0 ? undefined : i;
}
