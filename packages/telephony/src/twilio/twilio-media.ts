/**
 * Twilio → us on the media socket (protocols.md §1.3): `connected`, `start`, `media`, `dtmf`,
 * `mark`, `stop`. `start` must carry the call token the voice webhook issued; media is relayed
 * as μ-law bytes without decoding.
 */
import { bindLogger, type CallDirection, farEndHangup, type Logger } from '@switchboard/core';
import type { MachineVerdict } from '@switchboard/engine';
import type { WebSocket } from 'ws';
import { decodeBase64 } from '../ws-media/base64.js';
import { callTokenOk } from '../ws-media/call-token.js';
import { type JsonMessage, relayMediaFrame, runMediaSession } from '../ws-media/media-session.js';
import { obj, str, stringRecord } from '../ws-media/media-socket.js';
import { TwilioCallLeg } from './twilio-call-leg.js';
import type { TwilioCredentials, TwilioRestClient } from './twilio-rest.js';

/** Custom parameters the connector itself sets on `<Stream>`. */
export const P = {
  token: 'sb_token',
  from: 'sb_from',
  to: 'sb_to',
  direction: 'sb_dir',
  ref: 'sb_ref',
  answeredBy: 'sb_amd',
} as const;

const DIGIT = /^[0-9*#A-D]$/;

/**
 * Twilio's AnsweredBy as a verdict: `machine_end_*` (DetectMessageEnd) means the greeting and its
 * beep are over; `machine_start` and `fax` a machine still greeting.
 */
export function twilioMachineVerdict(answeredBy: string | undefined): MachineVerdict {
  if (!answeredBy) return 'unknown';
  if (answeredBy.startsWith('machine_end')) return 'machine-end';
  if (/^(machine|fax)/.test(answeredBy)) return 'machine';
  return answeredBy === 'human' ? 'human' : 'unknown';
}
const PRE_START = new Set(['connected']);

export interface TwilioMediaOptions {
  logger: Logger;
  credentials(accountSid: string): Promise<TwilioCredentials | undefined>;
  restClient(creds: TwilioCredentials): TwilioRestClient;
  onCall(leg: TwilioCallLeg): void;
  startTimeoutMs?: number;
  markEveryMs?: number;
}

export function handleTwilioMedia(socket: WebSocket, o: TwilioMediaOptions): void {
  const log = bindLogger(o.logger, { connector: 'twilio' });
  runMediaSession<TwilioCallLeg>(socket, {
    connector: 'twilio',
    logger: log,
    ...(o.startTimeoutMs ? { startTimeoutMs: o.startTimeoutMs } : {}),
    eventOf: (m) => str(m.event),
    preStartEvents: PRE_START,
    async startLeg(m: JsonMessage) {
      const start = obj(m.start);
      const streamSid = str(m.streamSid) ?? str(start?.streamSid);
      const callSid = str(start?.callSid);
      const accountSid = str(start?.accountSid);
      if (!start || !streamSid || !callSid || !accountSid) {
        log.warn('start without streamSid/callSid/accountSid');
        return undefined;
      }
      const custom = stringRecord(start.customParameters);
      const creds = await o.credentials(accountSid);
      const { [P.token]: token, ...signed } = custom;
      if (!creds || !callTokenOk(creds.authToken, { callSid, ...signed }, token)) {
        log.warn({ callSid }, 'media stream refused: missing or invalid call token');
        return undefined;
      }
      const parameters: Record<string, string> = {};
      for (const [k, v] of Object.entries(signed)) if (!k.startsWith('sb_')) parameters[k] = v;
      const direction: CallDirection = signed[P.direction] === 'outbound' ? 'outbound' : 'inbound';
      const info = {
        callSid,
        accountSid,
        streamSid,
        direction,
        from: signed[P.from] ?? '',
        to: signed[P.to] ?? '',
        ref: signed[P.ref],
        parameters,
        machineVerdict: twilioMachineVerdict(signed[P.answeredBy]),
      };
      const format = obj(start.mediaFormat);
      if (format && (str(format.encoding) !== 'audio/x-mulaw' || str(format.sampleRate) !== '8000')) {
        log.warn({ callSid, mediaFormat: format }, 'unexpected media format; relaying as μ-law 8 kHz');
      }
      return new TwilioCallLeg(info, socket, o.restClient(creds), log.child({ callSid }), {
        ...(o.markEveryMs ? { markEveryMs: o.markEveryMs } : {}),
      });
    },
    onLeg: (leg) => o.onCall(leg),
    fastDispatch: relayMediaFrame,
    dispatch(leg, event, m) {
      switch (event) {
        case 'media': {
          const data = decodeBase64(obj(m.media)?.payload);
          if (!data) return bad(leg, 'media payload is not base64');
          leg.deliverAudio(data);
          return true;
        }
        case 'dtmf': {
          const digit = str(obj(m.dtmf)?.digit);
          if (!digit || !DIGIT.test(digit)) return bad(leg, 'dtmf without a keypad digit');
          leg.deliverDtmf(digit);
          return true;
        }
        case 'mark': {
          const name = str(obj(m.mark)?.name);
          if (name) leg.markEchoed(name);
          return true;
        }
        case 'stop':
          leg.carrierEnded(farEndHangup(leg.direction));
          return true;
        case 'connected':
        case 'start':
          return true;
        default:
          return false;
      }
    },
  });

  function bad(leg: TwilioCallLeg, what: string): true {
    leg.noteMalformed(what);
    return true;
  }
}
