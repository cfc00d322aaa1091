/**
 * Dialog state (RFC 3261 §12) and in-dialog request building. In-dialog requests go back over
 * the flow the dialog was set up on (the trunk or peer address, and the same TCP connection
 * when there is one) rather than to a freshly resolved Contact: that is what works behind NAT
 * and SBCs, and the Request-URI still carries the remote target.
 */
import { getHeader, getHeaders, type SipHeader } from './headers.js';
import type { SipRequest, SipResponse } from './message.js';
import type { SipPeer } from './transport.js';
import { parseNameAddr } from './uri.js';

export interface Dialog {
  callId: string;
  localTag: string;
  remoteTag: string;
  /** Our From (UAC) or To (UAS) value without the tag. */
  localUri: string;
  remoteUri: string;
  localSeq: number;
  remoteSeq: number;
  /** The peer's Contact URI: the Request-URI of our in-dialog requests. */
  remoteTarget: string;
  /** Route header values for our in-dialog requests, in order. */
  routeSet: string[];
  peer: SipPeer;
}

export const dialogKey = (callId: string, localTag: string, remoteTag: string) =>
  `${callId}\n${localTag}\n${remoteTag}`;

/** The tag parameter of a From/To value, or '' when absent or unparsable. */
export function tagOf(value: string | undefined): string {
  if (value === undefined) return '';
  try {
    return parseNameAddr(value).params.get('tag') ?? '';
  } catch {
    return '';
  }
}

/** The URI inside a Contact/From/To value, or undefined. */
export function uriOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    return parseNameAddr(value).uri;
  } catch {
    return undefined;
  }
}

const withTag = (uri: string, tag: string) => `${uri};tag=${tag}`;

/** The dialog a UAS creates when it answers `invite` (RFC 3261 §12.1.1). */
export function uasDialog(invite: SipRequest, localTag: string, peer: SipPeer): Dialog {
  const from = getHeader(invite, 'from') ?? '';
  return {
    callId: getHeader(invite, 'call-id') ?? '',
    localTag,
    remoteTag: tagOf(from),
    localUri: stripTag(getHeader(invite, 'to') ?? ''),
    remoteUri: stripTag(from),
    localSeq: Math.floor(Math.random() * 10_000) + 1,
    remoteSeq: Number.parseInt(getHeader(invite, 'cseq') ?? '0', 10) || 0,
    remoteTarget: uriOf(getHeader(invite, 'contact')) ?? uriOf(from) ?? invite.uri,
    routeSet: getHeaders(invite, 'record-route'),
    peer,
  };
}

/** The dialog a UAC gets from a 2xx to its INVITE (RFC 3261 §12.1.2). */
export function uacDialog(invite: SipRequest, res: SipResponse, peer: SipPeer): Dialog {
  const from = getHeader(invite, 'from') ?? '';
  const to = getHeader(res, 'to') ?? '';
  return {
    callId: getHeader(invite, 'call-id') ?? '',
    localTag: tagOf(from),
    remoteTag: tagOf(to),
    localUri: stripTag(from),
    remoteUri: stripTag(to),
    localSeq: Number.parseInt(getHeader(invite, 'cseq') ?? '1', 10) || 1,
    remoteSeq: 0,
    remoteTarget: uriOf(getHeader(res, 'contact')) ?? invite.uri,
    routeSet: getHeaders(res, 'record-route').reverse(),
    peer,
  };
}

function stripTag(value: string): string {
  return value.replace(/;\s*tag=[^;]*/i, '');
}

export interface RequestParts {
  via: string;
  contact: string;
  userAgent: string;
  headers?: SipHeader[];
  body?: Buffer | string;
  /** For ACK/CANCEL the CSeq number is the INVITE's; otherwise the next local one. */
  cseq?: number;
}

/** An in-dialog request from our side; bumps the local CSeq unless one is given. */
export function dialogRequest(d: Dialog, method: string, parts: RequestParts): SipRequest {
  const seq = parts.cseq ?? ++d.localSeq;
  const headers: SipHeader[] = [
    { name: 'Via', value: parts.via },
    { name: 'Max-Forwards', value: '70' },
    { name: 'From', value: withTag(d.localUri, d.localTag) },
    { name: 'To', value: withTag(d.remoteUri, d.remoteTag) },
    { name: 'Call-ID', value: d.callId },
    { name: 'CSeq', value: `${seq} ${method}` },
    ...d.routeSet.map((value) => ({ name: 'Route', value })),
  ];
  if (method !== 'ACK') headers.push({ name: 'Contact', value: parts.contact });
  headers.push({ name: 'User-Agent', value: parts.userAgent }, ...(parts.headers ?? []));
  const body = parts.body === undefined ? Buffer.alloc(0) : Buffer.from(parts.body);
  return { kind: 'request', method, uri: d.remoteTarget, version: 'SIP/2.0', headers, body };
}
