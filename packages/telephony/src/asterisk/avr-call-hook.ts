/**
 * AVR's pre-call hook, `POST /call {uuid, payload}`: the PBX announces a call before it connects
 * AudioSocket with the same UUID. The details are held for a short time and read back when the
 * UUID frame arrives, so the dialplan can choose the agent, the numbers and call variables.
 *
 * Authentication: AVR's hook has none (it expects a private network). Here a shared token is
 * required when configured — `Authorization: Bearer`, `X-Switchboard-Token` or `?token=` (a
 * dialplan `CURL()` can carry it in the URL) — and without one only loopback peers are accepted.
 */
import { timingSafeEqual } from 'node:crypto';
import type { Logger } from '@switchboard/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { CARRIER_ROUTE_CONFIG, sendError } from '../ws-media/fastify-support.js';

/** What the PBX told us about a call, normalised from AVR's free-form payload. */
export interface AvrCallDetails {
  uuid: string;
  /** Agent id chosen by the dialplan (`agent_id`, `agentId` or `agent`). */
  agentId?: string;
  from?: string;
  /** The called number (`to`, `exten`, `called`, `did` or `number`). */
  to?: string;
  /** Every scalar payload field as text, for the agent's call variables. */
  variables: Record<string, string>;
}

const pick = (v: Record<string, string>, names: string[]): string | undefined => {
  for (const n of names) {
    const x = v[n];
    if (x !== undefined && x !== '') return x;
  }
  return undefined;
};

export function avrCallDetails(uuid: string, payload: Record<string, unknown> = {}): AvrCallDetails {
  const variables: Record<string, string> = {};
  for (const [k, v] of Object.entries(payload)) {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') variables[k] = String(v);
  }
  const agentId = pick(variables, ['agent_id', 'agentId', 'agent']);
  const from = pick(variables, ['from', 'caller', 'callerid', 'caller_id']);
  const to = pick(variables, ['to', 'exten', 'called', 'did', 'number']);
  return {
    uuid: uuid.toLowerCase(),
    variables,
    ...(agentId ? { agentId } : {}),
    ...(from ? { from } : {}),
    ...(to ? { to } : {}),
  };
}

/** Announced calls by UUID, each kept for `ttlMs` or until taken. */
export class AvrCallRegistry {
  readonly #entries = new Map<string, { details: AvrCallDetails; expiresAt: number }>();
  readonly #ttlMs: number;
  readonly #max: number;
  readonly #now: () => number;

  constructor(options: { ttlMs?: number; maxEntries?: number; now?: () => number } = {}) {
    this.#ttlMs = options.ttlMs ?? 60_000;
    this.#max = options.maxEntries ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  get size(): number {
    return this.#entries.size;
  }

  put(details: AvrCallDetails): void {
    this.#sweep();
    // Bounded so a caller flooding the hook cannot grow memory without limit: oldest go first.
    while (this.#entries.size >= this.#max) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
    this.#entries.delete(details.uuid);
    this.#entries.set(details.uuid, { details, expiresAt: this.#now() + this.#ttlMs });
  }

  /** The details announced for `uuid`, removed on read (one call per UUID). */
  take(uuid: string): AvrCallDetails | undefined {
    const key = uuid.toLowerCase();
    const e = this.#entries.get(key);
    if (!e) return undefined;
    this.#entries.delete(key);
    return e.expiresAt > this.#now() ? e.details : undefined;
  }

  #sweep(): void {
    const now = this.#now();
    for (const [k, e] of this.#entries) if (e.expiresAt <= now) this.#entries.delete(k);
  }
}

export interface AvrCallHookOptions {
  registry: AvrCallRegistry;
  logger: Logger;
  /** Shared token; when unset only loopback peers may call the hook. */
  token?: string | undefined;
}

const UUID_RE = /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/;
const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

function presentedToken(req: FastifyRequest): string | undefined {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7).trim();
  const header = req.headers['x-switchboard-token'];
  if (typeof header === 'string') return header;
  const q = (req.query as Record<string, unknown> | undefined)?.token;
  return typeof q === 'string' ? q : undefined;
}

function tokenMatches(expected: string, got: string | undefined): boolean {
  if (got === undefined) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(got);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Normalises a UUID with or without dashes to the form the AudioSocket codec produces. */
export function canonicalUuid(uuid: string): string {
  const h = uuid.replace(/-/g, '').toLowerCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

export async function avrCallHookPlugin(app: FastifyInstance, o: AvrCallHookOptions): Promise<void> {
  app.post(
    '/call',
    {
      config: CARRIER_ROUTE_CONFIG,
      // Validated by hand below: the API's schemas are zod, and this package speaks AVR's JSON.
      schema: {
        summary: 'AVR-compatible pre-call hook: announce an AudioSocket call before it connects',
        description:
          'Body `{"uuid": "<AudioSocket UUID>", "payload": {…}}` as avr-core receives it; the token goes in ' +
          '`?token=` or `Authorization: Bearer`.',
        tags: ['asterisk'],
      },
    },
    async (req, reply) => {
      const allowed = o.token ? tokenMatches(o.token, presentedToken(req)) : LOOPBACK.has(req.ip);
      if (!allowed) {
        o.logger.warn({ ip: req.ip }, 'refused an unauthenticated AVR /call hook');
        return sendError(reply, 401, 'unauthorized', 'this hook needs the AudioSocket hook token');
      }
      const body = req.body as { uuid?: unknown; payload?: unknown } | null | undefined;
      if (typeof body?.uuid !== 'string' || !UUID_RE.test(body.uuid)) {
        return sendError(reply, 400, 'validation_failed', 'body.uuid: expected the call UUID');
      }
      if (body.payload !== undefined && (typeof body.payload !== 'object' || body.payload === null)) {
        return sendError(reply, 400, 'validation_failed', 'body.payload: expected an object');
      }
      const details = avrCallDetails(
        canonicalUuid(body.uuid),
        body.payload as Record<string, unknown> | undefined,
      );
      o.registry.put(details);
      o.logger.info({ callId: details.uuid, agentId: details.agentId }, 'AudioSocket call announced');
      // AVR answers {sts_url, override}; there is no STS URL to hand out here, so it is omitted.
      return reply.send({ uuid: details.uuid, override: details.agentId !== undefined });
    },
  );
}
