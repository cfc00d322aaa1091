/**
 * The life of one carrier media socket, shared by the JSON-over-WebSocket carriers: wait for the
 * carrier's `start` (closing the socket if none comes), build the leg asynchronously while
 * holding the messages that arrive meanwhile, then hand each message to the carrier's dispatcher.
 * Malformed and unknown messages are counted and logged (rate-limited) and never thrown; the
 * socket's close ends the leg. Everything here belongs to the socket and stops with it.
 */
import { bindLogger, type EndedReason, farEndHangup, type Logger } from '@switchboard/core';
import type { RawData, WebSocket } from 'ws';
import { decodeBase64 } from './base64.js';
import { CLEAN_CLOSE_CODES, mediaPayloadText, parseJsonObject } from './media-socket.js';
import type { WsMediaLeg } from './ws-media-leg.js';

export type JsonMessage = Record<string, unknown>;

export interface MediaSessionSpec<L extends WsMediaLeg> {
  connector: string;
  logger: Logger;
  /** Close the socket when no valid `start` arrives within this time. */
  startTimeoutMs?: number;
  /** The message's event name (`event` on every carrier here). */
  eventOf(msg: JsonMessage): string | undefined;
  /** Events that may arrive before `start` and mean nothing (Twilio's `connected`). */
  preStartEvents?: ReadonlySet<string>;
  /** Validates `start` and builds the leg; undefined refuses the stream (socket closed, 1008). */
  startLeg(msg: JsonMessage): Promise<L | undefined>;
  /** The leg is live; the connector hands it to the application here. */
  onLeg(leg: L): void;
  /** One message of a live call; returns false for an event it does not know. */
  dispatch(leg: L, event: string, msg: JsonMessage): boolean;
  /**
   * The carrier's most frequent message (media) straight from the raw frame, before any JSON
   * parsing; returns true when it handled the message. Whatever it declines is parsed and
   * dispatched as usual, so it only has to be right about what it accepts.
   */
  fastDispatch?(leg: L, data: RawData, isBinary: boolean): boolean;
}

export interface MediaSessionStats {
  malformed: number;
  unknown: number;
  beforeStart: number;
}

/** Messages held while `startLeg` runs; a carrier sends ~50 a second, so this is seconds' worth. */
const MAX_HELD = 250;

export function runMediaSession<L extends WsMediaLeg>(
  socket: WebSocket,
  spec: MediaSessionSpec<L>,
): MediaSessionStats {
  const log = bindLogger(spec.logger, { connector: spec.connector });
  const stats: MediaSessionStats = { malformed: 0, unknown: 0, beforeStart: 0 };
  let state: 'waiting' | 'starting' | 'live' | 'closed' = 'waiting';
  let leg: L | undefined;
  let held: JsonMessage[] = [];

  const note = (what: keyof MediaSessionStats, extra: Record<string, unknown> = {}) => {
    const n = ++stats[what];
    // The first few and then every thousandth: a broken peer must not flood the log.
    if (n <= 3 || n % 1000 === 0) log.warn({ count: n, ...extra }, `ignored ${what} message`);
  };

  const startTimer = setTimeout(() => {
    if (state === 'waiting' || state === 'starting') {
      log.warn('no valid start message; closing the media socket');
      close(1008, 'no start');
    }
  }, spec.startTimeoutMs ?? 10_000);
  startTimer.unref();

  // A function, so the check after an await is not narrowed away by the compiler.
  const isClosed = () => state === 'closed';

  function close(code: number, reason: string) {
    state = 'closed';
    held = [];
    clearTimeout(startTimer);
    try {
      socket.close(code, reason);
    } catch {
      // already closed
    }
  }

  function handle(l: L, msg: JsonMessage) {
    const event = spec.eventOf(msg);
    if (event === undefined) return note('malformed');
    try {
      if (!spec.dispatch(l, event, msg)) note('unknown', { event: event.slice(0, 40) });
    } catch (err) {
      // A dispatcher bug must cost one message, not the process or the other calls.
      log.error({ err }, 'media message handler failed');
    }
  }

  async function start(msg: JsonMessage) {
    state = 'starting';
    let made: L | undefined;
    try {
      made = await spec.startLeg(msg);
    } catch (err) {
      log.error({ err }, 'could not start the media stream');
    }
    if (isClosed()) {
      // The carrier hung up while we were starting: the leg is born ended.
      made?.carrierEnded(farEndHangup(made.direction));
      return;
    }
    if (!made) return close(1008, 'stream refused');
    clearTimeout(startTimer);
    leg = made;
    state = 'live';
    try {
      spec.onLeg(made);
    } catch (err) {
      log.error({ err }, 'onCall failed');
    }
    const queued = held;
    held = [];
    for (const m of queued) handle(made, m);
  }

  const fast = spec.fastDispatch;

  socket.on('message', (data: RawData, isBinary: boolean) => {
    if (state === 'closed') return;
    if (fast && state === 'live' && leg) {
      try {
        if (fast(leg, data, isBinary)) return;
      } catch (err) {
        log.error({ err }, 'media message handler failed');
        return;
      }
    }
    const msg = parseJsonObject(data, isBinary);
    if (!msg) return note('malformed');
    if (state === 'live' && leg) return handle(leg, msg);
    const event = spec.eventOf(msg);
    if (state === 'starting') {
      if (held.length < MAX_HELD) held.push(msg);
      return;
    }
    if (event === 'start') {
      void start(msg);
      return;
    }
    if (event === undefined) return note('malformed');
    if (!spec.preStartEvents?.has(event)) note('beforeStart', { event: event.slice(0, 40) });
  });

  socket.on('close', (code: number) => {
    const wasLive = state === 'live';
    state = 'closed';
    held = [];
    clearTimeout(startTimer);
    if (wasLive && leg) {
      // A clean close is the carrier ending the stream; anything else is a peer that vanished.
      const reason: EndedReason = CLEAN_CLOSE_CODES.has(code)
        ? farEndHangup(leg.direction)
        : 'connector-error';
      leg.carrierEnded(reason);
    }
  });

  socket.on('error', (err: Error) => {
    log.warn({ err: err.message }, 'media socket error');
  });

  return stats;
}

/**
 * The fast path shared by the carriers whose media message is `{"event":"media",…,"payload":"…"}`
 * (Twilio, Plivo, Telnyx): the payload is decoded straight from the frame. Declines (false) what
 * it does not recognise, which then takes the parsed path.
 */
export function relayMediaFrame(leg: WsMediaLeg, data: RawData, isBinary: boolean): boolean {
  const payload = mediaPayloadText(data, isBinary);
  const audio = payload === undefined ? undefined : decodeBase64(payload);
  if (!audio) return false;
  leg.deliverAudio(audio);
  return true;
}
