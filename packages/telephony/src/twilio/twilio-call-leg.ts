/**
 * A Twilio Media Streams call as a `CallLeg`: the shared WebSocket leg with Twilio's spelling of
 * media/mark/clear (protocols.md §1.4) and its REST API for hang-up and transfer.
 */
import type { CallDirection, Logger } from '@switchboard/core';
import type { MachineVerdict } from '@switchboard/engine';
import type { MediaSocket } from '../ws-media/media-socket.js';
import { type WsLegWire, WsMediaLeg } from '../ws-media/ws-media-leg.js';
import type { TwilioRestClient } from './twilio-rest.js';
import { dialTwiml } from './twilio-twiml.js';

export interface TwilioCallInfo {
  callSid: string;
  accountSid: string;
  streamSid: string;
  direction: CallDirection;
  from: string;
  to: string;
  /** The reference given when the call was placed (outbound), if any. */
  ref?: string | undefined;
  /** `<Parameter>`s the answer carried, without the connector's own `sb_*` ones. */
  parameters: Record<string, string>;
  /** Answering-machine detection's AnsweredBy on an outbound call, as a verdict. */
  machineVerdict?: MachineVerdict;
}

/** Twilio's outgoing messages; the stream SID is JSON-encoded once, the payload is base64. */
export function twilioWire(streamSid: string): WsLegWire {
  const sid = JSON.stringify(streamSid);
  return {
    media: (payload) => `{"event":"media","streamSid":${sid},"media":{"payload":"${payload}"}}`,
    mark: (name) => JSON.stringify({ event: 'mark', streamSid, mark: { name } }),
    clear: () => `{"event":"clear","streamSid":${sid}}`,
  };
}

export class TwilioCallLeg extends WsMediaLeg {
  readonly callSid: string;
  readonly streamSid: string;
  readonly accountSid: string;
  readonly info: TwilioCallInfo;

  constructor(
    info: TwilioCallInfo,
    socket: MediaSocket,
    rest: TwilioRestClient,
    logger: Logger,
    opts: { markEveryMs?: number } = {},
  ) {
    super({
      id: info.callSid,
      direction: info.direction,
      from: info.from,
      to: info.to,
      connector: 'twilio',
      ...(info.machineVerdict ? { machineVerdict: info.machineVerdict } : {}),
      socket,
      wire: twilioWire(info.streamSid),
      logger,
      ...(opts.markEveryMs ? { markEveryMs: opts.markEveryMs } : {}),
      control: {
        hangup: () => rest.hangup(info.callSid),
        // New TwiML replaces <Connect><Stream>: Twilio ends the stream and dials the target.
        transfer: (target) => rest.redirect(info.callSid, dialTwiml(target)),
        // No sendDtmf: Twilio has no socket message for digits, and a REST <Play digits> would
        // replace the running TwiML and end the stream, so digits go in band over the stream.
      },
    });
    this.callSid = info.callSid;
    this.streamSid = info.streamSid;
    this.accountSid = info.accountSid;
    this.info = info;
  }
}
