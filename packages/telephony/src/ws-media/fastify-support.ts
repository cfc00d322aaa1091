/**
 * Fastify plumbing the carrier plugins share: one WebSocket upgrade handler per HTTP server,
 * form bodies kept as the carrier sent them (signatures are computed over them), the API's
 * error shape, and the route config every carrier route carries.
 */
import websocket from '@fastify/websocket';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export type FormParams = Record<string, string | string[]>;

const withWebSocket = new WeakSet<object>();

/**
 * Registers @fastify/websocket on `app` unless this scope already has it. It must run once per
 * HTTP server: each registration adds its own `upgrade` listener and every upgrade would be
 * routed twice. A sibling scope that registered it first is an error to fix in the composition
 * root (register the plugin on the root app, or mount the carrier plugins in one scope).
 */
export async function ensureWebSocket(app: FastifyInstance): Promise<void> {
  if (app.hasDecorator('websocketServer')) return;
  if (withWebSocket.has(app.server)) {
    throw new Error(
      '@fastify/websocket is registered in a sibling scope; register it on the root app or mount the carrier plugins in one scope',
    );
  }
  withWebSocket.add(app.server);
  // Carrier messages are a few hundred bytes; a cap keeps one bad peer from buffering megabytes.
  // Text frames are JSON that is parsed (or rejected) anyway, so ws's per-frame UTF-8 check is
  // redundant work on the hottest path: 50 media messages a second per call.
  await app.register(websocket, { options: { maxPayload: 1 << 20, skipUTF8Validation: true } });
}

/** Parses form bodies into name → value (repeated names → arrays), in this scope only. */
export function acceptFormBodies(app: FastifyInstance): void {
  if (app.hasContentTypeParser('application/x-www-form-urlencoded')) return;
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, parseForm(String(body)));
  });
}

export function parseForm(body: string): FormParams {
  const out: FormParams = {};
  for (const [k, v] of new URLSearchParams(body)) {
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

/** The request's form parameters, whichever form parser produced them. */
export function formOf(req: FastifyRequest): FormParams {
  const body = req.body;
  if (body === null || typeof body !== 'object') return {};
  const out: FormParams = {};
  for (const [k, v] of Object.entries(body)) {
    if (typeof v === 'string') out[k] = v;
    else if (Array.isArray(v)) out[k] = v.map(String);
  }
  return out;
}

export const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/** The API's one error shape. */
export function sendError(reply: FastifyReply, status: number, code: string, message: string) {
  return reply.status(status).send({ error: { code, message, details: [] } });
}

/**
 * Carrier routes: no user auth (the carrier's signature is their authentication) and no rate
 * limit (a carrier sends every call's webhooks from a few addresses). Built as a variable so the
 * server's own route-config typing is not needed here.
 */
export const CARRIER_ROUTE_CONFIG: Record<string, unknown> = { auth: 'public', rateLimit: false };

/** The URL the carrier requested, rebuilt from the configured public URL (never from Host). */
export function publicRequestUrl(publicUrl: string, req: FastifyRequest): string {
  return `${publicUrl.replace(/\/$/, '')}${req.url}`;
}

/** `https://…` → `wss://…` for the media stream URL. */
export function wsUrl(publicUrl: string, path: string): string {
  return `${publicUrl.replace(/\/$/, '').replace(/^http/, 'ws')}${path}`;
}

export function escapeXml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}
