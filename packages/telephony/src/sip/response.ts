/**
 * Building responses and the random identifiers a UA needs (RFC 3261 §8.2.6, §19.3, §8.1.1.7).
 */
import { randomBytes } from 'node:crypto';
import { formatVia, getHeader, getHeaders, parseVia, type SipHeader } from './headers.js';
import type { SipRequest, SipResponse } from './message.js';
import { splitTopLevel } from './syntax.js';
import { formatNameAddr, parseNameAddr } from './uri.js';

/** RFC 3261 magic cookie: branches starting with it are globally unique per transaction. */
export const BRANCH_COOKIE = 'z9hG4bK';

export const newBranch = (): string => BRANCH_COOKIE + randomBytes(10).toString('hex');
export const newTag = (): string => randomBytes(6).toString('hex');
export const newCallId = (host?: string): string => {
  const id = randomBytes(16).toString('hex');
  return host ? `${id}@${host}` : id;
};

export const REASON_PHRASES: Readonly<Record<number, string>> = {
  100: 'Trying',
  180: 'Ringing',
  181: 'Call Is Being Forwarded',
  182: 'Queued',
  183: 'Session Progress',
  200: 'OK',
  202: 'Accepted',
  301: 'Moved Permanently',
  302: 'Moved Temporarily',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  407: 'Proxy Authentication Required',
  408: 'Request Timeout',
  415: 'Unsupported Media Type',
  420: 'Bad Extension',
  423: 'Interval Too Brief',
  480: 'Temporarily Unavailable',
  481: 'Call/Transaction Does Not Exist',
  482: 'Loop Detected',
  483: 'Too Many Hops',
  486: 'Busy Here',
  487: 'Request Terminated',
  488: 'Not Acceptable Here',
  491: 'Request Pending',
  500: 'Server Internal Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
  504: 'Server Time-out',
  600: 'Busy Everywhere',
  603: 'Decline',
};

export interface MakeResponseOptions {
  /** Headers appended after the copied ones (Contact, Allow, Content-Type, ...). */
  headers?: SipHeader[];
  /**
   * Our To tag. A dialog must keep one tag for all its responses, so pass it; when the To has no
   * tag and none is given, a fresh one is generated for every response except 100.
   */
  toTag?: string;
  body?: Buffer | string;
  /**
   * The packet's source address. When given, the top Via gets `received` (if it differs from the
   * Via host) and a value for an empty `rport` (RFC 3581), so replies traverse NAT.
   */
  source?: { address: string; port: number };
}

/**
 * A response copying Via (all, in order), From, To, Call-ID and CSeq from the request, plus
 * Record-Route for dialog-creating responses (RFC 3261 §12.1.1).
 */
export function makeResponse(
  req: SipRequest,
  status: number,
  reason?: string,
  options: MakeResponseOptions = {},
): SipResponse {
  const headers: SipHeader[] = [];
  const vias = getHeaders(req, 'via').flatMap(splitVias);
  vias.forEach((v, i) => {
    headers.push({ name: 'Via', value: i === 0 && options.source ? stampVia(v, options.source) : v });
  });
  const from = getHeader(req, 'from');
  if (from !== undefined) headers.push({ name: 'From', value: from });
  const to = getHeader(req, 'to');
  if (to !== undefined) headers.push({ name: 'To', value: withToTag(to, status, options.toTag) });
  for (const name of ['Call-ID', 'CSeq']) {
    const v = getHeader(req, name);
    if (v !== undefined) headers.push({ name, value: v });
  }
  if (status > 100 && status < 300) {
    for (const rr of getHeaders(req, 'record-route')) headers.push({ name: 'Record-Route', value: rr });
  }
  headers.push(...(options.headers ?? []));
  const body = options.body === undefined ? Buffer.alloc(0) : Buffer.from(options.body);
  return {
    kind: 'response',
    status,
    reason: reason ?? REASON_PHRASES[status] ?? '',
    version: 'SIP/2.0',
    headers,
    body,
  };
}

/** One entry per Via value; a line that cannot be split is copied whole rather than failing. */
function splitVias(line: string): string[] {
  try {
    return splitTopLevel(line, ',');
  } catch {
    return [line];
  }
}

function withToTag(to: string, status: number, toTag?: string): string {
  if (status === 100) return to;
  try {
    const na = parseNameAddr(to);
    if (na.params.has('tag')) return to;
    na.params.set('tag', toTag ?? newTag());
    return formatNameAddr(na);
  } catch {
    // An unparsable To is copied as-is rather than failing the response (it is likely a 400).
    return to;
  }
}

function stampVia(value: string, source: { address: string; port: number }): string {
  try {
    const via = parseVia(value);
    if (via.host !== source.address) via.params.set('received', source.address);
    if (via.params.get('rport') === null) via.params.set('rport', String(source.port));
    return formatVia(via);
  } catch {
    return value;
  }
}
