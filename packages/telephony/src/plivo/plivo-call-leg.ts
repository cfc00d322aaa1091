/**
 * A Plivo Audio Streams call as a `CallLeg` (protocols.md §2.3): `playAudio`, `checkpoint`
 * (echoed as `playedStream`), `clearAudio`, and `sendDTMF`, Plivo's socket message for digits.
 */
import type { CallDirection, Logger } from '@switchboard/core';
import type { MediaSocket } from '../ws-media/media-socket.js';
import { type WsLegWire, WsMediaLeg } from '../ws-media/ws-media-leg.js';
import type { PlivoRestClient } from './plivo-rest.js';

export interface PlivoCallInfo {
  callUuid: string;
  streamId: string;
  authId: string;
  direction: CallDirection;
  from: string;
  to: string;
  ref?: string | undefined;
  parameters: Record<string, string>;
  /** Machine detection's verdict, when the call was placed with it. */
  machineVerdict?: 'machine' | 'human';
}

export function plivoWire(streamId: string): WsLegWire {
  const sid = JSON.stringify(streamId);
  return {
    media: (payload) =>
      `{"event":"playAudio","media":{"contentType":"audio/x-mulaw","sampleRate":8000,"payload":"${payload}"}}`,
    mark: (name) => JSON.stringify({ event: 'checkpoint', streamId, name }),
    clear: () => `{"event":"clearAudio","streamId":${sid}}`,
    dtmf: (digits) => JSON.stringify({ event: 'sendDTMF', dtmf: digits }),
  };
}

export class PlivoCallLeg extends WsMediaLeg {
  readonly callUuid: string;
  readonly streamId: string;
  readonly info: PlivoCallInfo;

  constructor(
    info: PlivoCallInfo,
    socket: MediaSocket,
    rest: PlivoRestClient,
    transferUrl: (target: string) => string,
    logger: Logger,
    opts: { markEveryMs?: number } = {},
  ) {
    super({
      id: info.callUuid,
      direction: info.direction,
      from: info.from,
      to: info.to,
      connector: 'plivo',
      ...(info.machineVerdict ? { machineVerdict: info.machineVerdict } : {}),
      socket,
      wire: plivoWire(info.streamId),
      logger,
      ...(opts.markEveryMs ? { markEveryMs: opts.markEveryMs } : {}),
      control: {
        hangup: () => rest.hangup(info.callUuid),
        transfer: (target) => rest.transfer(info.callUuid, transferUrl(target)),
      },
    });
    this.callUuid = info.callUuid;
    this.streamId = info.streamId;
    this.info = info;
  }
}
