/**
 * Header names, multi-value headers and the structured headers a UA needs (Via, CSeq).
 * Messages keep headers as an ordered list of raw lines; these helpers read them on demand, so
 * the list stays the single source of truth and serialisation preserves what was received.
 */
import { SipParseError } from './errors.js';
import {
  formatHostPort,
  formatParams,
  parseHostPort,
  parseParamList,
  type SipParams,
  splitTopLevel,
} from './syntax.js';

export interface SipHeader {
  name: string;
  value: string;
}

/** Anything carrying a header list: requests, responses, or a header list being built. */
export interface HasHeaders {
  headers: SipHeader[];
}

/** RFC 3261 §7.3.3 compact forms, plus the common ones from later RFCs (3265, 3515, 3892, 4028). */
const COMPACT: Record<string, string> = {
  v: 'via',
  f: 'from',
  t: 'to',
  i: 'call-id',
  m: 'contact',
  l: 'content-length',
  c: 'content-type',
  k: 'supported',
  s: 'subject',
  e: 'content-encoding',
  o: 'event',
  r: 'refer-to',
  b: 'referred-by',
  u: 'allow-events',
  x: 'session-expires',
};

const CANONICAL = new Map(
  (
    'Via From To Call-ID CSeq Contact Content-Length Content-Type Max-Forwards Allow Supported ' +
    'Require Unsupported Proxy-Require Subject Content-Encoding Content-Disposition Content-Language ' +
    'WWW-Authenticate Authorization Proxy-Authenticate Proxy-Authorization Authentication-Info ' +
    'Record-Route Route User-Agent Server Expires Min-Expires Event Refer-To Referred-By Allow-Events ' +
    'Session-Expires Min-SE Accept Accept-Encoding Accept-Language Warning Reason RSeq RAck ' +
    'P-Asserted-Identity P-Preferred-Identity Privacy Date Timestamp Organization Call-Info ' +
    'Alert-Info Error-Info Priority Retry-After In-Reply-To Reply-To MIME-Version Subscription-State ' +
    'Path Service-Route'
  )
    .split(' ')
    .map((n): [string, string] => [n.toLowerCase(), n]),
);

/**
 * Headers whose values are comma-separated lists (RFC 3261 §7.3.1). Authentication headers are
 * absent on purpose: their parameters contain commas and they never combine.
 */
const LIST_HEADERS = new Set(
  (
    'via contact route record-route allow supported require unsupported proxy-require accept ' +
    'accept-encoding accept-language content-encoding allow-events path service-route ' +
    'p-asserted-identity warning reason call-info alert-info error-info in-reply-to content-language'
  ).split(' '),
);

/** Lowercased full name for any spelling or compact form, used for comparisons. */
export function headerKey(name: string): string {
  const lower = name.toLowerCase();
  return COMPACT[lower] ?? lower;
}

/** RFC spelling for known headers (compact forms expanded); other names are kept as written. */
export function canonicalHeaderName(name: string): string {
  const key = headerKey(name);
  return CANONICAL.get(key) ?? (key === name.toLowerCase() ? name : key);
}

export function getHeader(msg: HasHeaders, name: string): string | undefined {
  const key = headerKey(name);
  return msg.headers.find((h) => headerKey(h.name) === key)?.value;
}

/** Every occurrence of the header, one entry per line. */
export function getHeaders(msg: HasHeaders, name: string): string[] {
  const key = headerKey(name);
  return msg.headers.filter((h) => headerKey(h.name) === key).map((h) => h.value);
}

/** Every value of a list header across all its lines, split on top-level commas (e.g. all Vias). */
export function getHeaderValues(msg: HasHeaders, name: string): string[] {
  const key = headerKey(name);
  const lines = getHeaders(msg, key);
  if (!LIST_HEADERS.has(key)) return lines;
  return lines.flatMap((v) => splitTopLevel(v, ',')).filter((v) => v !== '');
}

/** Replaces every occurrence with one line at the first occurrence's place (or appends). */
export function setHeader(msg: HasHeaders, name: string, value: string): void {
  const key = headerKey(name);
  const idx = msg.headers.findIndex((h) => headerKey(h.name) === key);
  removeHeader(msg, key);
  const header = { name: canonicalHeaderName(name), value };
  if (idx < 0) msg.headers.push(header);
  else msg.headers.splice(idx, 0, header);
}

export function addHeader(msg: HasHeaders, name: string, value: string): void {
  msg.headers.push({ name: canonicalHeaderName(name), value });
}

export function removeHeader(msg: HasHeaders, name: string): void {
  const key = headerKey(name);
  msg.headers = msg.headers.filter((h) => headerKey(h.name) !== key);
}

export interface SipVia {
  /** `SIP/2.0`. */
  protocol: string;
  /** Upper-cased: UDP, TCP, TLS, WS, WSS, SCTP. */
  transport: string;
  host: string;
  port?: number;
  /** branch, received, rport (null when present without a value), maddr, ttl, ... */
  params: SipParams;
}

export function parseVia(value: string): SipVia {
  const m =
    /^\s*([A-Za-z0-9.!%*_+`'~-]+\s*\/\s*[A-Za-z0-9.!%*_+`'~-]+)\s*\/\s*([A-Za-z0-9.!%*_+`'~-]+)\s+(.+)$/s.exec(
      value,
    );
  if (!m) throw new SipParseError('bad Via header');
  const [hostport = '', ...paramParts] = splitTopLevel(m[3] ?? '', ';');
  const hp = parseHostPort(hostport.replace(/\s*:\s*/, ':'), 'Via');
  const via: SipVia = {
    protocol: (m[1] ?? '').replace(/\s+/g, '').toUpperCase(),
    transport: (m[2] ?? '').toUpperCase(),
    host: hp.host,
    params: parseParamList(paramParts, 'Via'),
  };
  if (hp.port !== undefined) via.port = hp.port;
  const rport = via.params.get('rport');
  if (rport !== undefined && rport !== null && !/^\d{1,5}$/.test(rport)) throw new SipParseError('bad rport');
  return via;
}

export const formatVia = (via: SipVia): string =>
  `${via.protocol}/${via.transport} ${formatHostPort(via.host, via.port)}${formatParams(via.params)}`;

/** The topmost Via of a message (the hop a response goes back to). */
export function topVia(msg: HasHeaders): SipVia {
  const first = getHeaderValues(msg, 'via')[0];
  if (first === undefined) throw new SipParseError('missing Via header');
  return parseVia(first);
}

/**
 * Where a response to this Via goes (RFC 3261 §18.2.2 with RFC 3581): to `received` (or the Via
 * host) at `rport` when the request carried it, else the Via port, else 5060.
 */
export function viaResponseTarget(via: SipVia): { host: string; port: number } {
  const received = via.params.get('received');
  const rport = via.params.get('rport');
  const host = received ?? via.host;
  const port = rport ? Number(rport) : (via.port ?? (via.transport === 'TLS' ? 5061 : 5060));
  return { host, port };
}

export interface SipCSeq {
  seq: number;
  method: string;
}

export function parseCSeq(value: string): SipCSeq {
  const m = /^\s*(\d{1,10})\s+([A-Za-z0-9.!%*_+`'~-]+)\s*$/.exec(value);
  const seq = Number(m?.[1]);
  // RFC 3261 §8.1.1.5: the sequence number must be below 2**31.
  if (!m || seq >= 2 ** 31) throw new SipParseError('bad CSeq header');
  return { seq, method: m[2] ?? '' };
}

export const formatCSeq = (c: SipCSeq): string => `${c.seq} ${c.method}`;
