/**
 * Plivo → us on the media socket (protocols.md §2.2): `start` (first, no `connected`), `media`,
 * `dtmf`, `playedStream` (a checkpoint echo), `clearedAudio`. There is no documented `stop`: the
 * socket's close ends the call (a `stop`, should one come, is honoured).
 */
import { bindLogger, type CallDirection, farEndHangup, type Logger } from '@switchboard/core';
import type { WebSocket } from 'ws';
import { decodeBase64 } from '../ws-media/base64.js';
import { callTokenOk } from '../ws-media/call-token.js';
import { type JsonMessage, relayMediaFrame, runMediaSession } from '../ws-media/media-session.js';
import { obj, str } from '../ws-media/media-socket.js';
import { PlivoCallLeg } from './plivo-call-leg.js';
import type { PlivoCredentials, PlivoRestClient } from './plivo-rest.js';

/** extraHeaders keys the connector sets (Plivo allows only alphanumerics). */
export const PX = {
  token: 'sbtoken',
  from: 'sbfrom',
  to: 'sbto',
  direction: 'sbdir',
  ref: 'sbref',
  /** Machine detection's verdict on the answer URL (`machine` or `human`). */
  machine: 'sbamd',
} as const;

const DIGIT = /^[0-9*#A-D]$/;

/** Values travel hex-encoded: extraHeaders allow only alphanumerics. */
export const hex = (s: string) => Buffer.from(s, 'utf8').toString('hex');
export const unhex = (s: string) =>
  /^(?:[0-9a-f]{2})*$/i.test(s) ? Buffer.from(s, 'hex').toString('utf8') : s;

/** `k=v,k2=v2` (or an object, defensively) → record. */
export function parseExtraHeaders(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof v === 'string') {
    for (const pair of v.split(',')) {
      const i = pair.indexOf('=');
      if (i > 0) out[pair.slice(0, i).trim()] = pair.slice(i + 1).trim();
    }
  } else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) if (typeof x === 'string') out[k] = x;
  }
  return out;
}

/** Plivo spells numbers without `+`; the rest of the platform uses E.164. */
export const e164 = (n: string): string => (/^\d{8,15}$/.test(n) ? `+${n}` : n);

export interface PlivoMediaOptions {
  logger: Logger;
  credentials(lookup: { authId?: string; number?: string }): Promise<PlivoCredentials | undefined>;
  restClient(creds: PlivoCredentials): PlivoRestClient;
  transferUrl(target: string): string;
  onCall(leg: PlivoCallLeg): void;
  startTimeoutMs?: number;
  markEveryMs?: number;
}

export function handlePlivoMedia(socket: WebSocket, o: PlivoMediaOptions): void {
  const log = bindLogger(o.logger, { connector: 'plivo' });
  runMediaSession<PlivoCallLeg>(socket, {
    connector: 'plivo',
    logger: log,
    ...(o.startTimeoutMs ? { startTimeoutMs: o.startTimeoutMs } : {}),
    eventOf: (m) => str(m.event),
    async startLeg(m: JsonMessage) {
      const start = obj(m.start);
      const callUuid = str(start?.callId);
      const streamId = str(start?.streamId) ?? str(m.streamId);
      const authId = str(start?.accountId);
      if (!start || !callUuid || !streamId) {
        log.warn('start without callId/streamId');
        return undefined;
      }
      const { [PX.token]: token, ...signed } = parseExtraHeaders(m.extra_headers ?? start.extra_headers);
      const fields: Record<string, string> = {};
      for (const [k, v] of Object.entries(signed)) fields[k] = unhex(v);
      const direction: CallDirection = fields[PX.direction] === 'outbound' ? 'outbound' : 'inbound';
      const ours = direction === 'inbound' ? fields[PX.to] : fields[PX.from];
      const creds = await o.credentials({ ...(authId ? { authId } : {}), ...(ours ? { number: ours } : {}) });
      if (!creds || !callTokenOk(creds.authToken, { callUuid, ...fields }, token)) {
        log.warn({ callUuid }, 'media stream refused: missing or invalid call token');
        return undefined;
      }
      const parameters: Record<string, string> = {};
      for (const [k, v] of Object.entries(fields)) if (!k.startsWith('sb')) parameters[k] = v;
      const info = {
        callUuid,
        streamId,
        authId: authId ?? creds.authId,
        direction,
        from: e164(fields[PX.from] ?? ''),
        to: e164(fields[PX.to] ?? ''),
        ref: fields[PX.ref],
        parameters,
        ...(fields[PX.machine] === 'machine' || fields[PX.machine] === 'human'
          ? { machineVerdict: fields[PX.machine] as 'machine' | 'human' }
          : {}),
      };
      return new PlivoCallLeg(info, socket, o.restClient(creds), o.transferUrl, log.child({ callUuid }), {
        ...(o.markEveryMs ? { markEveryMs: o.markEveryMs } : {}),
      });
    },
    onLeg: (leg) => o.onCall(leg),
    fastDispatch: relayMediaFrame,
    dispatch(leg, event, m) {
      switch (event) {
        case 'media': {
          const data = decodeBase64(obj(m.media)?.payload);
          if (data) leg.deliverAudio(data);
          else leg.noteMalformed('media payload is not base64');
          return true;
        }
        case 'dtmf': {
          const digit = str(obj(m.dtmf)?.digit);
          if (digit && DIGIT.test(digit)) leg.deliverDtmf(digit);
          else leg.noteMalformed('dtmf without a keypad digit');
          return true;
        }
        case 'playedStream':
        case 'played': {
          const name = str(m.name);
          if (name) leg.markEchoed(name);
          return true;
        }
        case 'stop':
          leg.carrierEnded(farEndHangup(leg.direction));
          return true;
        case 'clearedAudio':
        case 'start':
          return true;
        default:
          return false;
      }
    },
  });
}
