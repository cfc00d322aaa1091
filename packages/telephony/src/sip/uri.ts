/**
 * SIP URIs and name-addr values (RFC 3261 §19.1, §20.10, §25.1).
 * User parts stay percent-encoded exactly as received so that formatting gives back the same text.
 */
import { SipParseError } from './errors.js';
import {
  formatHostPort,
  formatParams,
  isToken,
  parseHostPort,
  parseParamList,
  quote,
  type SipParams,
  splitTopLevel,
  unquote,
} from './syntax.js';

export interface SipUri {
  scheme: 'sip' | 'sips';
  user?: string;
  password?: string;
  /** IPv6 addresses are stored without brackets. */
  host: string;
  port?: number;
  params: SipParams;
  /** `?name=value&...` URI headers, kept in order and encoded as received. */
  headers: Array<[string, string]>;
}

export interface NameAddr {
  displayName?: string;
  /** The URI text as written; run `parseUri` on it when it is a sip:/sips: URI. */
  uri: string;
  /** Header parameters after the address (`;tag=...`), not the URI's own parameters. */
  params: SipParams;
}

const USER_BAD_RE = /[\s<>"@\\]/;

export function parseUri(text: string): SipUri {
  const s = text.trim();
  const colon = s.indexOf(':');
  const scheme = colon < 0 ? '' : s.slice(0, colon).toLowerCase();
  if (scheme !== 'sip' && scheme !== 'sips') throw new SipParseError('URI scheme is not sip or sips');
  let rest = s.slice(colon + 1);
  const uri: SipUri = { scheme, host: '', params: new Map(), headers: [] };

  const at = rest.indexOf('@');
  if (at >= 0) {
    const userinfo = rest.slice(0, at);
    rest = rest.slice(at + 1);
    const pw = userinfo.indexOf(':');
    const user = pw < 0 ? userinfo : userinfo.slice(0, pw);
    if (user === '' || USER_BAD_RE.test(userinfo)) throw new SipParseError('bad user part in URI');
    uri.user = user;
    if (pw >= 0) uri.password = userinfo.slice(pw + 1);
  }

  const q = rest.indexOf('?');
  if (q >= 0) {
    for (const pair of rest.slice(q + 1).split('&')) {
      const eq = pair.indexOf('=');
      const name = eq < 0 ? pair : pair.slice(0, eq);
      const value = eq < 0 ? '' : pair.slice(eq + 1);
      if (name === '' || /[\s<>"]/.test(pair)) throw new SipParseError('bad URI header');
      uri.headers.push([name, value]);
    }
    rest = rest.slice(0, q);
  }

  const [hostport = '', ...paramParts] = rest.split(';');
  const hp = parseHostPort(hostport, 'URI');
  uri.host = hp.host;
  if (hp.port !== undefined) uri.port = hp.port;
  uri.params = parseParamList(paramParts, 'URI');
  for (const value of uri.params.values()) {
    if (value?.startsWith('"')) throw new SipParseError('quoted value in URI parameter');
  }
  return uri;
}

export function formatUri(uri: SipUri): string {
  let out = `${uri.scheme}:`;
  if (uri.user !== undefined) {
    out += uri.user;
    if (uri.password !== undefined) out += `:${uri.password}`;
    out += '@';
  }
  out += formatHostPort(uri.host, uri.port) + formatParams(uri.params);
  if (uri.headers.length > 0) out += `?${uri.headers.map(([n, v]) => `${n}=${v}`).join('&')}`;
  return out;
}

/**
 * Parses `"Alice" <sip:a@h>;tag=1`, `Alice <sip:a@h>`, `<sip:a@h>` and the bare addr-spec form
 * `sip:a@h;tag=1`, where everything after the first `;` is a header parameter (RFC 3261 §20.10).
 */
export function parseNameAddr(text: string): NameAddr {
  const s = text.trim();
  const lt = findUnquoted(s, '<');
  if (lt < 0) {
    const [uri = '', ...paramParts] = splitTopLevel(s, ';');
    if (uri === '' || /[\s"<>,]/.test(uri)) throw new SipParseError('bad addr-spec');
    return { uri, params: parseParamList(paramParts, 'header') };
  }
  const gt = s.indexOf('>', lt);
  if (gt < 0) throw new SipParseError('unterminated <URI>');
  const uri = s.slice(lt + 1, gt).trim();
  if (uri === '' || /[\s<"]/.test(uri)) throw new SipParseError('bad URI in name-addr');
  const result: NameAddr = { uri, params: new Map() };
  const display = s.slice(0, lt).trim();
  if (display !== '') {
    if (display.startsWith('"')) {
      if (closingQuote(display) !== display.length - 1) {
        throw new SipParseError('bad quoted display name');
      }
      const name = unquote(display);
      // `"" <sip:a@b>` carries no name: the same as leaving it out, which is how it is written back.
      if (name !== '') result.displayName = name;
    } else {
      if (display.split(/\s+/).some((w) => !isToken(w))) throw new SipParseError('bad display name');
      result.displayName = display;
    }
  }
  const after = s.slice(gt + 1).trim();
  if (after !== '') {
    if (!after.startsWith(';')) throw new SipParseError('unexpected text after name-addr');
    result.params = parseParamList(splitTopLevel(after.slice(1), ';'), 'header');
  }
  return result;
}

export function formatNameAddr(na: NameAddr): string {
  let out = '';
  if (na.displayName !== undefined && na.displayName !== '') {
    const plain = na.displayName.split(' ').every((w) => w !== '' && isToken(w));
    out += `${plain ? na.displayName : quote(na.displayName)} `;
  }
  return `${out}<${na.uri}>${formatParams(na.params)}`;
}

/** Index of the quote closing the quoted-string that opens `s`, or -1. */
function closingQuote(s: string): number {
  for (let i = 1; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === '"') return i;
  }
  return -1;
}

/** Index of `ch` outside double quotes (backslash escapes honoured), or -1. */
function findUnquoted(s: string, ch: string): number {
  let inQuote = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (inQuote) {
      if (c === '\\') i++;
      else if (c === '"') inQuote = false;
    } else if (c === '"') inQuote = true;
    else if (c === ch) return i;
  }
  return -1;
}
