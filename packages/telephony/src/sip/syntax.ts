/**
 * Low-level SIP grammar pieces shared by the header, URI and digest parsers (RFC 3261 §25.1).
 * SIP parsing is written here rather than taken from npm: no maintained, typed, server-ready SIP
 * library exists there (kirm/sip is frozen at 2019 and untyped; the others are browser UAs).
 */
import { SipParseError } from './errors.js';

/** Ordered, case-insensitive-by-construction (keys lowercased) parameter list. `null` = no value. */
export type SipParams = Map<string, string | null>;

const TOKEN_RE = /^[A-Za-z0-9\-.!%*_+`'~]+$/;

export const isToken = (s: string): boolean => TOKEN_RE.test(s);

/** True if `s` holds an ASCII control character other than horizontal tab (CR and LF included). */
export function hasControlChars(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return true;
  }
  return false;
}

/**
 * Splits on `sep` outside double quotes and angle brackets, so `"a, b" <sip:x>, <sip:y>` yields
 * two parts. Backslash escapes inside quotes are honoured. Parts are trimmed; empty parts kept.
 */
export function splitTopLevel(s: string, sep: string): string[] {
  const out: string[] = [];
  let inQuote = false;
  let angle = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (inQuote) {
      if (ch === '\\') i++;
      else if (ch === '"') inQuote = false;
    } else if (ch === '"') inQuote = true;
    else if (ch === '<') angle++;
    else if (ch === '>' && angle > 0) angle--;
    else if (ch === sep && angle === 0) {
      out.push(s.slice(start, i).trim());
      start = i + 1;
    }
  }
  if (inQuote) throw new SipParseError('unterminated quoted string');
  out.push(s.slice(start).trim());
  return out;
}

/** Removes the quotes and backslash escapes of a quoted-string; returns the input if not quoted. */
export function unquote(s: string): string {
  if (s.length < 2 || !s.startsWith('"') || !s.endsWith('"')) return s;
  return s.slice(1, -1).replace(/\\(.)/g, '$1');
}

export const quote = (s: string): string => `"${s.replace(/(["\\])/g, '\\$1')}"`;

/**
 * Parses `;name[=value]` segments (the leading `;` already stripped by the caller's split).
 * Names are lowercased (RFC 3261: parameter names are case-insensitive); values keep their case
 * and their quotes, since tag and branch values compare case-sensitively.
 */
export function parseParamList(parts: readonly string[], what: string): SipParams {
  const params: SipParams = new Map();
  for (const part of parts) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = (eq < 0 ? part : part.slice(0, eq)).trim().toLowerCase();
    if (!isToken(name)) throw new SipParseError(`bad ${what} parameter name`);
    if (eq < 0) {
      params.set(name, null);
      continue;
    }
    const value = part.slice(eq + 1).trim();
    if (value === '' || /[\s;,<>]/.test(value.startsWith('"') ? '' : value)) {
      throw new SipParseError(`bad value for ${what} parameter ${name}`);
    }
    if (value.startsWith('"') && (value.length < 2 || !value.endsWith('"'))) {
      throw new SipParseError(`bad quoted value for ${what} parameter ${name}`);
    }
    params.set(name, value);
  }
  return params;
}

export function formatParams(params: SipParams): string {
  let out = '';
  for (const [name, value] of params) out += value === null ? `;${name}` : `;${name}=${value}`;
  return out;
}

/** Host: hostname, IPv4, or bracketed IPv6 (brackets stripped here, added back by `formatHost`). */
export function parseHostPort(s: string, what: string): { host: string; port?: number } {
  let host: string;
  let rest: string;
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    if (close < 0) throw new SipParseError(`unterminated IPv6 reference in ${what}`);
    host = s.slice(1, close);
    if (!/^[0-9A-Fa-f:.]+$/.test(host) || !host.includes(':')) {
      throw new SipParseError(`bad IPv6 address in ${what}`);
    }
    rest = s.slice(close + 1);
  } else {
    const colon = s.indexOf(':');
    host = colon < 0 ? s : s.slice(0, colon);
    rest = colon < 0 ? '' : s.slice(colon);
    if (!/^[A-Za-z0-9\-._]+$/.test(host)) throw new SipParseError(`bad host in ${what}`);
  }
  if (rest === '') return { host };
  if (!/^:\d{1,5}$/.test(rest)) throw new SipParseError(`bad port in ${what}`);
  const port = Number(rest.slice(1));
  if (port > 65535) throw new SipParseError(`port out of range in ${what}`);
  return { host, port };
}

export const formatHost = (host: string): string => (host.includes(':') ? `[${host}]` : host);

export const formatHostPort = (host: string, port?: number): string =>
  port === undefined ? formatHost(host) : `${formatHost(host)}:${port}`;
