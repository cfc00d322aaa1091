/**
 * Telnyx → us on the media socket (protocols.md §3.1): `connected`, `start`, `media`, `dtmf`,
 * `mark`, `error`, `stop`, snake_case. The call context was verified from the URL before the
 * upgrade; `start` supplies the call control id. Media is relayed in arrival order: Telnyx does
 * not guarantee order, and reordering would need a jitter buffer the engine does not ask for.
 */
import { bindLogger, farEndHangup, type Logger } from '@switchboard/core';
import type { WebSocket } from 'ws';
import { decodeBase64 } from '../ws-media/base64.js';
import { type JsonMessage, relayMediaFrame, runMediaSession } from '../ws-media/media-session.js';
import { obj, str } from '../ws-media/media-socket.js';
import { TelnyxCallLeg } from './telnyx-call-leg.js';
import type { TelnyxRestClient } from './telnyx-rest.js';
import type { TelnyxStreamContext } from './telnyx-stream-context.js';

const DIGIT = /^[0-9*#A-D]$/;
const PRE_START = new Set(['connected']);

export interface TelnyxMediaOptions {
  logger: Logger;
  context: TelnyxStreamContext;
  rest: TelnyxRestClient;
  onCall(leg: TelnyxCallLeg): void;
  startTimeoutMs?: number;
  markEveryMs?: number;
}

export function handleTelnyxMedia(socket: WebSocket, o: TelnyxMediaOptions): void {
  const log = bindLogger(o.logger, { connector: 'telnyx' });
  runMediaSession<TelnyxCallLeg>(socket, {
    connector: 'telnyx',
    logger: log,
    ...(o.startTimeoutMs ? { startTimeoutMs: o.startTimeoutMs } : {}),
    eventOf: (m) => str(m.event),
    preStartEvents: PRE_START,
    async startLeg(m: JsonMessage) {
      const start = obj(m.start);
      const callControlId = str(start?.call_control_id);
      if (!start || !callControlId) {
        log.warn('start without call_control_id');
        return undefined;
      }
      const c = o.context;
      const info = {
        callControlId,
        streamId: str(m.stream_id) ?? '',
        direction: c.direction,
        from: c.from || (str(start.from) ?? ''),
        to: c.to || (str(start.to) ?? ''),
        ref: c.ref,
        parameters: c.parameters,
      };
      return new TelnyxCallLeg(info, socket, o.rest, log.child({ callControlId }), {
        ...(o.markEveryMs ? { markEveryMs: o.markEveryMs } : {}),
        ...(c.amd ? { machineVerdict: 'pending' as const } : {}),
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
        case 'mark': {
          const name = str(obj(m.mark)?.name);
          if (name) leg.markEchoed(name);
          return true;
        }
        case 'error':
          // The shape of error frames is not documented; keep what is safe to log.
          log.warn({ error: JSON.stringify(m).slice(0, 300) }, 'Telnyx stream error');
          return true;
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
}
