import type { CallDirection, EndedReason } from '@switchboard/core';
import type { AudioFormat, AudioFrame } from '@switchboard/media';

export interface CallLegEvents {
  /** One keypad digit from the caller: 0-9, *, #, A-D. */
  dtmf: [digit: string];
  /** The far end or the carrier ended the leg; `audio` ends too. */
  hangup: [reason: EndedReason];
}

/**
 * One phone call as a connector presents it: caller audio in, agent audio out, keypad and hangup
 * events. A connector translates its carrier's wire format to and from this and nothing more.
 */
export interface CallLeg {
  /** The connector's id for the call (carrier call SID, SIP Call-ID...). */
  readonly id: string;
  readonly direction: CallDirection;
  readonly from: string;
  readonly to: string;
  /** Connector name: `sip`, `twilio`, `web`... */
  readonly connector: string;
  /** Format of frames on `audio` (frames still carry their own). */
  readonly inputFormat: AudioFormat;
  /** Format `play` expects. */
  readonly outputFormat: AudioFormat;
  /** Caller audio; ends when the leg ends. Breaking out of the loop stops delivery. */
  readonly audio: AsyncIterable<AudioFrame>;
  on<E extends keyof CallLegEvents>(event: E, listener: (...args: CallLegEvents[E]) => void): unknown;
  off<E extends keyof CallLegEvents>(event: E, listener: (...args: CallLegEvents[E]) => void): unknown;
  /** Sends one frame of agent audio now; the engine paces calls to real time. */
  play(frame: AudioFrame): void;
  /** Drops audio the carrier has buffered but not yet played (Twilio `clear`, and the like). */
  clear(): void;
  sendDtmf(digits: string): Promise<void>;
  /** Hands the caller to `target` (E.164 number or SIP URI); resolves when the carrier accepted. */
  transfer(target: string): Promise<void>;
  hangup(reason?: EndedReason): Promise<void>;
}
