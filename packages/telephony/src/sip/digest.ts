/**
 * HTTP Digest authentication for SIP (RFC 3261 §22.4, RFC 2617, RFC 7616 for SHA-256 and -sess):
 * answering a trunk's 401/407 as a UAC, and checking credentials when acting as a registrar.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { DigestError, SipParseError } from './errors.js';
import { isToken, quote, splitTopLevel, unquote } from './syntax.js';

export type DigestAlgorithm =
  | 'MD5'
  | 'MD5-sess'
  | 'SHA-256'
  | 'SHA-256-sess'
  | 'SHA-512-256'
  | 'SHA-512-256-sess';

const HASHES: Record<string, string> = { MD5: 'md5', 'SHA-256': 'sha256', 'SHA-512-256': 'sha512-256' };

/** `WWW-Authenticate` / `Proxy-Authenticate` value. */
export interface DigestChallenge {
  scheme: string;
  realm: string;
  nonce: string;
  algorithm?: string;
  /** Offered qop values, e.g. ['auth', 'auth-int']; absent means RFC 2069 compatibility mode. */
  qop?: string[];
  opaque?: string;
  stale?: boolean;
  /** Every parameter as received (unquoted), names lowercased. */
  params: Map<string, string>;
}

/** `Authorization` / `Proxy-Authorization` value. */
export interface DigestCredentials {
  scheme: string;
  username: string;
  realm: string;
  nonce: string;
  uri: string;
  response: string;
  algorithm?: string;
  cnonce?: string;
  nc?: string;
  qop?: string;
  opaque?: string;
  params: Map<string, string>;
}

/** Parses `Digest a=b, c="d"` into the scheme and unquoted parameters. */
function parseAuthParams(value: string): { scheme: string; params: Map<string, string> } {
  const m = /^\s*([A-Za-z0-9._-]+)\s+(.*)$/s.exec(value);
  if (!m) throw new SipParseError('bad authentication header');
  const params = new Map<string, string>();
  for (const part of splitTopLevel(m[2] ?? '', ',')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = eq < 0 ? '' : part.slice(0, eq).trim().toLowerCase();
    const raw = part.slice(eq + 1).trim();
    if (!isToken(name) || raw === '') throw new SipParseError('bad authentication parameter');
    if (raw.startsWith('"') !== raw.endsWith('"') || raw === '"') {
      throw new SipParseError(`bad quoting in authentication parameter ${name}`);
    }
    params.set(name, unquote(raw));
  }
  return { scheme: m[1] ?? '', params };
}

function required(params: Map<string, string>, name: string): string {
  const v = params.get(name);
  if (v === undefined) throw new SipParseError(`authentication header lacks ${name}`);
  return v;
}

export function parseDigestChallenge(value: string): DigestChallenge {
  const { scheme, params } = parseAuthParams(value);
  const c: DigestChallenge = {
    scheme,
    realm: required(params, 'realm'),
    nonce: required(params, 'nonce'),
    params,
  };
  const algorithm = params.get('algorithm');
  const qop = params.get('qop');
  const opaque = params.get('opaque');
  const stale = params.get('stale');
  if (algorithm !== undefined) c.algorithm = algorithm;
  if (qop !== undefined)
    c.qop = qop
      .split(',')
      .map((q) => q.trim().toLowerCase())
      .filter((q) => q !== '');
  if (opaque !== undefined) c.opaque = opaque;
  if (stale !== undefined) c.stale = stale.toLowerCase() === 'true';
  return c;
}

export function parseDigestCredentials(value: string): DigestCredentials {
  const { scheme, params } = parseAuthParams(value);
  const c: DigestCredentials = {
    scheme,
    username: required(params, 'username'),
    realm: required(params, 'realm'),
    nonce: required(params, 'nonce'),
    uri: required(params, 'uri'),
    response: required(params, 'response'),
    params,
  };
  for (const k of ['algorithm', 'cnonce', 'nc', 'qop', 'opaque'] as const) {
    const v = params.get(k);
    if (v !== undefined) c[k] = v;
  }
  return c;
}

export interface ChallengeOptions {
  realm: string;
  nonce?: string;
  algorithm?: DigestAlgorithm;
  qop?: boolean;
  opaque?: string;
  stale?: boolean;
}

/** A `WWW-Authenticate` value for a 401 (or `Proxy-Authenticate` for a 407). */
export function formatDigestChallenge(o: ChallengeOptions): string {
  const parts = [`realm=${quote(o.realm)}`, `nonce=${quote(o.nonce ?? newNonce())}`];
  if (o.opaque !== undefined) parts.push(`opaque=${quote(o.opaque)}`);
  parts.push(`algorithm=${o.algorithm ?? 'MD5'}`);
  if (o.qop !== false) parts.push('qop="auth"');
  if (o.stale) parts.push('stale=TRUE');
  return `Digest ${parts.join(', ')}`;
}

export function formatDigestCredentials(c: Omit<DigestCredentials, 'params' | 'scheme'>): string {
  const parts = [
    `username=${quote(c.username)}`,
    `realm=${quote(c.realm)}`,
    `nonce=${quote(c.nonce)}`,
    `uri=${quote(c.uri)}`,
    `response=${quote(c.response)}`,
  ];
  if (c.algorithm !== undefined) parts.push(`algorithm=${c.algorithm}`);
  if (c.cnonce !== undefined) parts.push(`cnonce=${quote(c.cnonce)}`);
  if (c.opaque !== undefined) parts.push(`opaque=${quote(c.opaque)}`);
  // RFC 2617: qop and nc are unquoted in credentials; some servers reject quoted ones.
  if (c.qop !== undefined) parts.push(`qop=${c.qop}`);
  if (c.nc !== undefined) parts.push(`nc=${c.nc}`);
  return `Digest ${parts.join(', ')}`;
}

export interface DigestInput {
  algorithm?: string;
  username: string;
  realm: string;
  /** Either the password or a stored HA1 = H(username:realm:password). */
  password?: string;
  ha1?: string;
  nonce: string;
  method: string;
  uri: string;
  qop?: string;
  nc?: string;
  cnonce?: string;
  /** Message body, only used for qop=auth-int. */
  body?: Uint8Array;
}

function hasher(algorithm: string): (s: string | Uint8Array) => string {
  const base = algorithm.replace(/-sess$/i, '').toUpperCase();
  const name = HASHES[base];
  if (!name) throw new DigestError(`unsupported digest algorithm ${algorithm}`);
  return (s) => createHash(name).update(s).digest('hex');
}

/** The `response` value of RFC 2617 §3.2.2.1 / RFC 7616 §3.4.1. */
export function computeDigestResponse(i: DigestInput): string {
  const algorithm = i.algorithm ?? 'MD5';
  const H = hasher(algorithm);
  let ha1 = i.ha1 ?? (i.password !== undefined ? H(`${i.username}:${i.realm}:${i.password}`) : undefined);
  if (ha1 === undefined) throw new DigestError('digest needs a password or an HA1');
  if (/-sess$/i.test(algorithm)) {
    if (i.cnonce === undefined) throw new DigestError('-sess algorithms need a cnonce');
    ha1 = H(`${ha1}:${i.nonce}:${i.cnonce}`);
  }
  const qop = i.qop?.toLowerCase();
  const ha2 =
    qop === 'auth-int'
      ? H(`${i.method}:${i.uri}:${H(i.body ?? new Uint8Array())}`)
      : H(`${i.method}:${i.uri}`);
  if (qop === undefined) return H(`${ha1}:${i.nonce}:${ha2}`);
  if (i.nc === undefined || i.cnonce === undefined) throw new DigestError('qop needs nc and cnonce');
  return H(`${ha1}:${i.nonce}:${i.nc}:${i.cnonce}:${qop}:${ha2}`);
}

export interface AuthorizationRequest {
  username: string;
  password: string;
  method: string;
  uri: string;
  /** Defaults to a fresh random value; fixed in tests. */
  cnonce?: string;
  /** Requests already sent with this nonce (nc), starting at 1. */
  nonceCount?: number;
  body?: Uint8Array;
}

/** The `Authorization` (or `Proxy-Authorization`) value answering a challenge. */
export function buildAuthorization(challenge: DigestChallenge | string, req: AuthorizationRequest): string {
  const ch = typeof challenge === 'string' ? parseDigestChallenge(challenge) : challenge;
  if (ch.scheme.toLowerCase() !== 'digest') throw new DigestError(`unsupported auth scheme ${ch.scheme}`);
  const algorithm = ch.algorithm ?? 'MD5';
  let qop: string | undefined;
  if (ch.qop !== undefined) {
    if (ch.qop.includes('auth')) qop = 'auth';
    else if (ch.qop.includes('auth-int')) qop = 'auth-int';
    else throw new DigestError('challenge offers no supported qop');
  }
  const needsCnonce = qop !== undefined || /-sess$/i.test(algorithm);
  const cnonce = needsCnonce ? (req.cnonce ?? randomBytes(8).toString('hex')) : undefined;
  const nc = qop !== undefined ? (req.nonceCount ?? 1).toString(16).padStart(8, '0') : undefined;
  const input: DigestInput = { ...req, algorithm, realm: ch.realm, nonce: ch.nonce };
  if (qop !== undefined) input.qop = qop;
  if (nc !== undefined) input.nc = nc;
  if (cnonce !== undefined) input.cnonce = cnonce;
  const creds: Omit<DigestCredentials, 'params' | 'scheme'> = {
    username: req.username,
    realm: ch.realm,
    nonce: ch.nonce,
    uri: req.uri,
    response: computeDigestResponse(input),
  };
  if (ch.algorithm !== undefined) creds.algorithm = ch.algorithm;
  if (cnonce !== undefined) creds.cnonce = cnonce;
  if (ch.opaque !== undefined) creds.opaque = ch.opaque;
  if (qop !== undefined) creds.qop = qop;
  if (nc !== undefined) creds.nc = nc;
  return formatDigestCredentials(creds);
}

export interface VerifyOptions {
  method: string;
  /** The realm we challenged with; credentials for another realm fail. */
  realm: string;
  password?: string;
  ha1?: string;
  body?: Uint8Array;
}

/**
 * Checks credentials as a registrar/server. Nonce freshness and replay (nc) checks belong to the
 * caller, which issued the nonce; this only proves the client knows the password.
 */
export function verifyDigest(credentials: DigestCredentials | string, o: VerifyOptions): boolean {
  try {
    const c = typeof credentials === 'string' ? parseDigestCredentials(credentials) : credentials;
    if (c.scheme.toLowerCase() !== 'digest' || c.realm !== o.realm) return false;
    const input: DigestInput = { ...c, method: o.method };
    if (o.password !== undefined) input.password = o.password;
    if (o.ha1 !== undefined) input.ha1 = o.ha1;
    if (o.body !== undefined) input.body = o.body;
    const expected = Buffer.from(computeDigestResponse(input), 'latin1');
    const got = Buffer.from(c.response.toLowerCase(), 'latin1');
    return expected.length === got.length && timingSafeEqual(expected, got);
  } catch (e) {
    if (e instanceof SipParseError || e instanceof DigestError) return false;
    throw e;
  }
}

export const newNonce = (): string => randomBytes(16).toString('hex');
