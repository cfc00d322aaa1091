/**
 * The UAS side of an inbound INVITE (RFC 3261 §13.3): 100 Trying at once, offer/answer, the
 * `onCall` decision while the caller waits, then 180 and a 200 with our SDP, retransmitted
 * until the ACK. CANCEL before the answer ends it with 487 and the leg never starts.
 */
import type dgram from 'node:dgram';
import type { EndedReason } from '@switchboard/core';
import type { AudioFrame } from '@switchboard/media';
import { dialogKey, uasDialog, uriOf } from './dialog.js';
import { FrameQueue } from './frame-queue.js';
import { getHeader } from './headers.js';
import type { SipRequest } from './message.js';
import { makeResponse, newTag } from './response.js';
import { parseSdp } from './sdp.js';
import { buildAnswer, negotiateAudio } from './sdp-negotiate.js';
import { SipCallLeg } from './sip-call-leg.js';
import { SipReject } from './sip-errors.js';
import type { InboundCallInfo, OnSipCall } from './sip-server-options.js';
import { ALLOW, negotiatedMedia, type SipCallContext } from './stack.js';
import type { SipPeer } from './transport.js';
import { parseUri } from './uri.js';

/** An INVITE not answered yet; CANCEL finds it by the INVITE's branch. */
export interface PendingInvite {
  cancel(): void;
}

const REJECT_ON_HANGUP: Partial<Record<EndedReason, number>> = { busy: 486, rejected: 603, 'no-answer': 480 };

export async function handleInvite(
  ctx: SipCallContext,
  req: SipRequest,
  peer: SipPeer,
  onCall: OnSipCall | undefined,
  track: (p: PendingInvite | undefined) => void,
): Promise<void> {
  const callId = getHeader(req, 'call-id') ?? '';
  const simple = (status: number, reason?: string, headers: Array<{ name: string; value: string }> = []) =>
    ctx.respond(req, makeResponse(req, status, reason, { headers }));
  simple(100);

  let choice: ReturnType<typeof negotiateAudio>;
  let offer: ReturnType<typeof parseSdp>;
  try {
    // Late offer (INVITE without SDP) is not supported: the answer would come in the ACK.
    if (req.body.length === 0) return simple(488, 'SDP offer required');
    offer = parseSdp(req.body);
    choice = negotiateAudio(offer, { codecs: ctx.codecs, telephoneEvent: true });
  } catch {
    return simple(400, 'Bad SDP');
  }
  if (choice.kind !== 'answer')
    return simple(488, undefined, [{ name: 'Warning', value: `399 switchboard "${choice.reason}"` }]);

  let socket: dgram.Socket;
  try {
    socket = await ctx.allocateRtp();
  } catch (err) {
    ctx.logger.error({ err, callId }, 'no RTP port for an inbound call');
    return simple(503, 'No media ports', [{ name: 'Retry-After', value: '5' }]);
  }

  const localTag = newTag();
  const dialog = uasDialog(req, localTag, peer);
  const port = socket.address().port;
  const localSdp = buildAnswer(offer, choice, {
    address: ctx.advertisedAddress,
    port,
    sessionId: Date.now(),
    sessionVersion: 1,
    sessionName: 'switchboard',
  });
  const media = negotiatedMedia(choice);
  const queue = new FrameQueue<AudioFrame>();
  let final = false;
  const finalResponse = (
    status: number,
    reason?: string,
    headers: ReadonlyArray<{ name: string; value: string }> = [],
  ) => {
    if (final) return;
    final = true;
    ctx.respond(req, makeResponse(req, status, reason, { toTag: localTag, headers: [...headers] }));
  };
  const info = callInfo(req);
  const leg = new SipCallLeg({
    id: callId,
    direction: 'inbound',
    from: info.from,
    to: info.to,
    format: media.format,
    stack: ctx,
    dialog,
    audio: queue,
    localSdp,
    codecs: ctx.codecs,
    dial: (o) => ctx.dial(o),
    onEarlyHangup: (reason) => finalResponse(REJECT_ON_HANGUP[reason] ?? 480),
    onFinished: (l) => {
      if (!l.rtp) socket.close();
      ctx.release(l);
    },
  });
  track({
    cancel: () => {
      finalResponse(487);
      leg.finish('cancelled', true);
    },
  });

  try {
    if (!onCall) throw new SipReject(480);
    await onCall(leg, info);
  } catch (err) {
    track(undefined);
    if (leg.state === 'ended') return;
    if (err instanceof SipReject) finalResponse(err.status, err.reason, err.headers);
    else {
      ctx.logger.error({ err, callId }, 'onCall failed; rejecting the call');
      finalResponse(500);
    }
    leg.finish(err instanceof SipReject ? 'rejected' : 'failed', false);
    return;
  }
  track(undefined);
  if (leg.state === 'ended') return;

  ctx.respond(req, makeResponse(req, 180, undefined, { toTag: localTag }));
  final = true;
  const ok = makeResponse(req, 200, undefined, {
    toTag: localTag,
    headers: [
      { name: 'Contact', value: ctx.contact(peer.transport) },
      { name: 'Allow', value: ALLOW },
      { name: 'Supported', value: 'replaces' },
      { name: 'User-Agent', value: ctx.userAgent },
      { name: 'Content-Type', value: 'application/sdp' },
    ],
    body: localSdp,
  });
  leg.confirm();
  ctx.adopt(leg);
  leg.rtp = ctx.startRtp(
    socket,
    media,
    {
      onFrame: leg.pushFrame,
      onDtmf: leg.pushDigit,
      onTimeout: () => {
        ctx.logger.warn({ callId }, 'no RTP from the caller; ending the call');
        leg.terminate('connector-error');
      },
    },
    callId,
  );
  if (!media.theySend) leg.rtp.setRemote(media.remote, false);
  leg.sendReliable2xx(req, ok);
}

export const legKey = (leg: SipCallLeg) =>
  dialogKey(leg.dialog.callId, leg.dialog.localTag, leg.dialog.remoteTag);

function userOf(value: string | undefined): string | undefined {
  if (!value) return undefined;
  try {
    return parseUri(value).user;
  } catch {
    const tel = /^tel:([^;]+)/i.exec(value);
    return tel?.[1];
  }
}

export function callInfo(req: SipRequest): InboundCallInfo {
  const headers: Record<string, string> = {};
  for (const h of req.headers) {
    const k = h.name.toLowerCase();
    headers[k] = headers[k] === undefined ? h.value : `${headers[k]}, ${h.value}`;
  }
  return {
    to: userOf(req.uri) ?? userOf(uriOf(getHeader(req, 'to'))) ?? '',
    from: userOf(uriOf(getHeader(req, 'from'))) ?? '',
    callId: getHeader(req, 'call-id') ?? '',
    headers,
  };
}
