/**
 * A re-INVITE inside a confirmed dialog (RFC 3261 §14.2): a new remote RTP address (the peer
 * moved, or a hold/resume) is taken over and answered with our unchanged SDP; an offer without
 * our codec gets 488 and the call goes on as before.
 */

import type { SipRequest } from './message.js';
import { makeResponse } from './response.js';
import { parseSdp } from './sdp.js';
import { negotiateAudio } from './sdp-negotiate.js';
import type { SipCallLeg } from './sip-call-leg.js';
import { ALLOW } from './stack.js';

export function handleReInvite(leg: SipCallLeg, req: SipRequest): void {
  if (req.body.length > 0) {
    let answer: ReturnType<typeof negotiateAudio>;
    try {
      answer = negotiateAudio(parseSdp(req.body), {
        codecs: [leg.inputFormat.encoding === 'alaw' ? 'PCMA' : 'PCMU'],
        telephoneEvent: true,
      });
    } catch {
      leg.reply(req, 400, 'Bad SDP');
      return;
    }
    if (answer.kind !== 'answer') {
      leg.reply(req, 488);
      return;
    }
    // The peer sends to us unless it put the call on hold (its offer is recvonly/inactive).
    const theySend = answer.direction === 'sendrecv' || answer.direction === 'recvonly';
    leg.rtp?.setRemote(answer.remote, theySend);
  }
  const t = leg.dialog.peer.transport;
  const res = makeResponse(req, 200, undefined, {
    toTag: leg.dialog.localTag,
    headers: [
      { name: 'Contact', value: leg.stack.contact(t) },
      { name: 'Allow', value: ALLOW },
      { name: 'Content-Type', value: 'application/sdp' },
    ],
    body: leg.localSdp,
  });
  leg.sendReliable2xx(req, res);
}
