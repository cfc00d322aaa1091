import {
  findProviderType,
  type OutboundGuard,
  outboundRefusal,
  type ProviderTestCode,
} from '@switchboard/core';
import { guardFor, type ResolvedProvider } from '../factory.js';
import { causeText, type FetchLike, joinUrl, originOf } from '../util/http-stream.js';
import { WyomingConnection } from '../wyoming/wyoming-client.js';

export type { ProviderTestCode } from '@switchboard/core';

export interface ProviderTestResult {
  ok: boolean;
  code: ProviderTestCode;
  message: string;
  latencyMs: number;
}

export interface ProviderTestOptions {
  /** The network policy; a provider with a credential is further pinned to that credential's hosts. */
  outbound: OutboundGuard;
  timeoutMs: number;
}

type Check = { code: ProviderTestCode; message: string };
type Probe = (p: ResolvedProvider, s: Record<string, string>, o: ProbeOptions) => Promise<Check>;
interface ProbeOptions {
  fetch: FetchLike;
  outbound: OutboundGuard;
  signal: AbortSignal;
}

/** http(s) form of a configured ws(s) base, for the vendor's REST endpoints on the same host. */
const httpOf = (url: string) => url.replace(/^ws(s?):/, 'http$1:');

/**
 * Checks a stored provider against its service the way a team expects when saving keys: one cheap
 * authenticated read (models, projects, a voice), never a billed synthesis or completion, and an
 * answer that says what is wrong in our own words. The service's response body is never quoted
 * (whatever the URL points at may echo the key back), and the secret is cut out of every message.
 * A provider with a credential is checked only against the hosts that credential may go to
 * (`not_allowed` otherwise), and every connection passes the outbound guard.
 */
export async function testProvider(
  p: ResolvedProvider,
  opts: ProviderTestOptions,
): Promise<ProviderTestResult> {
  const started = performance.now();
  const done = (c: Check): ProviderTestResult => ({
    ok: c.code === 'ok',
    code: c.code,
    message: redact(c.message, p.secret),
    latencyMs: Math.round(performance.now() - started),
  });
  const info = findProviderType(p.kind, p.type);
  const probe = PROBES[p.type];
  if (!info || !probe)
    return done({ code: 'unsupported', message: `${p.kind}/${p.type} has no connection check` });
  const parsed = info.settings.safeParse(p.settings);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return done({
      code: 'bad_settings',
      message: `settings.${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`,
    });
  }
  if (info.needsCredential && !p.secret)
    return done({ code: 'bad_credentials', message: 'no credential is attached' });
  const outbound = guardFor(opts.outbound, info, { ...p, settings: parsed.data });
  if ('refused' in outbound) return done({ code: 'not_allowed', message: outbound.refused });
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(new Error('timeout')), opts.timeoutMs);
  try {
    const settings = Object.fromEntries(
      Object.entries(parsed.data)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, String(v)]),
    ) as Record<string, string>;
    return done(await probe(p, settings, { fetch: outbound.fetch, outbound, signal: ctrl.signal }));
  } catch (e) {
    if (ctrl.signal.aborted)
      return done({ code: 'timeout', message: `no answer within ${opts.timeoutMs} ms` });
    return done(failure(e, 'the service'));
  } finally {
    clearTimeout(timer);
  }
}

/** One GET, its status read as the check's answer. */
async function getCheck(
  url: string,
  headers: Record<string, string>,
  o: ProbeOptions,
  what: { notFound?: string } = {},
): Promise<Check> {
  let res: Response;
  try {
    res = await o.fetch(url, { headers, signal: o.signal });
  } catch (e) {
    if (o.signal.aborted) throw e;
    return failure(e, originOf(url));
  }
  // The body is discarded unread: it is the service's text, and may repeat the key.
  await res.body?.cancel().catch(() => {});
  const s = res.status;
  if (res.ok) return { code: 'ok', message: `${originOf(url)} accepted the credentials` };
  if (s === 401) return { code: 'bad_credentials', message: `HTTP 401: ${originOf(url)} rejected the key` };
  if (s === 403) return { code: 'no_access', message: 'HTTP 403: the key has no access' };
  if (s === 404 && what.notFound) return { code: 'no_access', message: `HTTP 404: ${what.notFound}` };
  if (s === 429) return { code: 'no_access', message: 'HTTP 429: rate limited or out of quota' };
  return { code: 'unreachable', message: `${originOf(url)} answered HTTP ${s}` };
}

/** A connection that failed: refused by the outbound guard, or not made. */
function failure(e: unknown, where: string): Check {
  const refused = outboundRefusal(e);
  if (refused) return { code: 'not_allowed', message: refused.message };
  return { code: 'unreachable', message: `cannot reach ${where}: ${causeText(e)}` };
}

/** Cuts an exact secret out of a message: a last line of defence for text that came from elsewhere. */
export function redact(message: string, secret: string | undefined): string {
  if (!secret || secret.length < 4) return message;
  return message.split(secret).join('[redacted]');
}

const bearer = (secret: string | undefined): Record<string, string> =>
  secret ? { authorization: `Bearer ${secret}` } : {};

const openAiModel: Probe = (p, s, o) =>
  getCheck(
    joinUrl(httpOf(s.baseUrl ?? 'https://api.openai.com/v1'), `models/${encodeURIComponent(s.model ?? '')}`),
    bearer(p.secret),
    o,
    {
      notFound: `model ${s.model} is not available to this key`,
    },
  );

const deepgram: Probe = (p, s, o) =>
  getCheck(
    joinUrl(httpOf(s.baseUrl ?? 'https://api.deepgram.com/v1'), 'projects'),
    { authorization: `Token ${p.secret ?? ''}` },
    o,
  );

const elevenlabs: Probe = (p, s, o) =>
  getCheck(
    joinUrl(
      httpOf(s.baseUrl ?? 'https://api.elevenlabs.io/v1'),
      `voices/${encodeURIComponent(s.voiceId ?? '')}`,
    ),
    { 'xi-api-key': p.secret ?? '' },
    o,
    { notFound: `voice ${s.voiceId} is not available to this key` },
  );

/** Any HTTP answer means the connector is up: AVR connectors have no auth and no health route. */
const reachable: Probe = async (_p, s, o) => {
  const url = httpOf(s.url ?? '');
  try {
    const res = await o.fetch(url, { method: 'GET', signal: o.signal });
    await res.body?.cancel();
    return { code: 'ok', message: `${originOf(url)} answered (HTTP ${res.status})` };
  } catch (e) {
    if (o.signal.aborted) throw e;
    return failure(e, originOf(url));
  }
};

const wyoming: Probe = async (p, s, o) => {
  const conn = await WyomingConnection.open(p.type, s.host ?? '', Number(s.port), o.signal, o.outbound).catch(
    (e: unknown) => {
      if (o.signal.aborted) throw e;
      return failure(e, `${s.host}:${s.port}`);
    },
  );
  if ('code' in conn) return conn;
  const onAbort = () => conn.close();
  o.signal.addEventListener('abort', onAbort, { once: true });
  try {
    conn.send({ type: 'describe', data: {} });
    const info = await conn.until('info');
    const services = p.kind === 'asr' ? info.data.asr : info.data.tts;
    if (!Array.isArray(services) || services.length === 0) {
      return { code: 'no_access', message: `the Wyoming service offers no ${p.kind}` };
    }
    return { code: 'ok', message: `Wyoming ${p.kind} service answered` };
  } finally {
    o.signal.removeEventListener('abort', onAbort);
    conn.close();
  }
};

const PROBES: Record<string, Probe> = {
  'openai-compatible': openAiModel,
  openai: openAiModel,
  'openai-realtime': openAiModel,
  deepgram,
  'deepgram-aura': deepgram,
  'deepgram-agent': deepgram,
  elevenlabs,
  wyoming,
  'avr-asr': reachable,
  'avr-llm': reachable,
  'avr-tts': reachable,
  'avr-sts': reachable,
};

/**
 * The app's `providerTester`: looks the provider up in its workspace (settings and decrypted
 * credential) and checks it. A missing provider is the lookup's own error (404).
 */
export function createProviderTester(
  lookup: (workspaceId: string, providerId: string) => Promise<ResolvedProvider>,
  opts: ProviderTestOptions,
): (workspaceId: string, providerId: string) => Promise<ProviderTestResult> {
  return async (workspaceId, providerId) => testProvider(await lookup(workspaceId, providerId), opts);
}
