/**
 * A Telnyx media stream as a `CallLeg` (protocols.md §3.1): `media`, `mark` and `clear` on the
 * socket; hang-up, transfer and digits through Call Control actions (Telnyx has a `send_dtmf`
 * action, so digits are sent by the carrier rather than as in-band tones).
 */
import type { CallDirection, Logger } from '@switchboard/core';
import type { MediaSocket } from '../ws-media/media-socket.js';
import { type WsLegWire, WsMediaLeg } from '../ws-media/ws-media-leg.js';
import type { TelnyxRestClient } from './telnyx-rest.js';

export interface TelnyxCallInfo {
  callControlId: string;
  streamId: string;
  direction: CallDirection;
  from: string;
  to: string;
  ref?: string | undefined;
  parameters: Record<string, string>;
}

export const telnyxWire: WsLegWire = {
  media: (payload) => `{"event":"media","media":{"payload":"${payload}"}}`,
  mark: (name) => JSON.stringify({ event: 'mark', mark: { name } }),
  clear: () => '{"event":"clear"}',
};

export class TelnyxCallLeg extends WsMediaLeg {
  readonly callControlId: string;
  readonly info: TelnyxCallInfo;

  constructor(
    info: TelnyxCallInfo,
    socket: MediaSocket,
    rest: TelnyxRestClient,
    logger: Logger,
    opts: { markEveryMs?: number; machineVerdict?: 'pending' } = {},
  ) {
    super({
      ...(opts.machineVerdict ? { machineVerdict: opts.machineVerdict } : {}),
      id: info.callControlId,
      direction: info.direction,
      from: info.from,
      to: info.to,
      connector: 'telnyx',
      socket,
      wire: telnyxWire,
      logger,
      ...(opts.markEveryMs ? { markEveryMs: opts.markEveryMs } : {}),
      control: {
        hangup: () => rest.hangup(info.callControlId),
        transfer: (target) => rest.transfer(info.callControlId, target),
        sendDtmf: (digits) => rest.sendDtmf(info.callControlId, digits),
      },
    });
    this.callControlId = info.callControlId;
    this.info = info;
  }
}
