import type { CallDirection, EndedReason } from '@switchboard/core';
import type { AudioFormat, AudioFrame } from '@switchboard/media';

/**
 * Who answered, as the carrier's detection says: `machine-end` is a machine whose greeting (and
 * beep) is over already; `unknown` when the carrier could not tell, or was not asked.
 */
export type MachineVerdict = 'human' | 'machine' | 'machine-end' | 'unknown';

/** Why a warm transfer's call to the person did not connect. */
export type ConsultFailureReason = 'busy' | 'no-answer' | 'rejected' | 'failed';

/** A warm transfer's call to the person did not connect; the caller stays with the agent. */
export class ConsultFailed extends Error {
  constructor(
    readonly reason: ConsultFailureReason,
    message: string,
  ) {
    super(message);
    this.name = 'ConsultFailed';
  }
}

export interface ConsultOptions {
  /** Ring time before giving up with `no-answer`. */
  timeoutMs: number;
  /** Aborted when the caller hangs up meanwhile: the call to the person is cancelled. */
  signal: AbortSignal;
}

/**
 * The second call of a warm transfer, to the person who takes the caller over. The agent speaks
 * to it (a summary) before `bridge` joins it to the caller; after that the connector owns both
 * calls until either side hangs up.
 */
export interface ConsultLeg {
  /** Format `play` expects. */
  readonly outputFormat: AudioFormat;
  play(frame: AudioFrame): void;
  /** Settles with the reason when the person hangs up before the bridge. */
  readonly ended: Promise<EndedReason>;
  /** Joins the caller and the person; rejects when either has gone. */
  bridge(): Promise<void>;
  hangup(): Promise<void>;
}

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
  /**
   * Warm transfer: calls `target` while the caller stays on this leg, and resolves once it
   * answered (rejects with `ConsultFailed` otherwise). Absent on connectors that cannot.
   */
  consult?(target: string, options: ConsultOptions): Promise<ConsultLeg>;
  /**
   * The carrier's own answering-machine verdict on an outbound call placed with detection (Twilio,
   * Plivo, Telnyx); it may settle after the leg is handed over. Absent where the carrier has none:
   * the engine then listens for a machine itself.
   */
  readonly machineVerdict?: Promise<MachineVerdict>;
  hangup(reason?: EndedReason): Promise<void>;
}
