import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

type Plugin = (app: FastifyInstance) => Promise<void> | void;

/**
 * The routes where a new call comes in: carrier answer webhooks, media-stream upgrades, the
 * browser's socket and the AudioSocket pre-call hook. Status callbacks for calls already live
 * stay open, so those calls can still end properly while the process drains.
 */
const INTAKE = new Set([
  '/twilio/voice',
  '/twilio/media',
  '/plivo/answer',
  '/plivo/media',
  '/telnyx/media/*',
  '/talk/ws',
  '/call',
]);

/** How long a refused carrier or peer should wait before retrying (this or another instance). */
const RETRY_AFTER_SECONDS = '5';

const refuse = (reply: FastifyReply) =>
  reply
    .status(503)
    .header('retry-after', RETRY_AFTER_SECONDS)
    .send({ error: { code: 'unavailable', message: 'shutting down: not taking new calls' } });

/**
 * Wraps connector plugins so that, once shutdown began, their call-intake routes answer 503 with
 * Retry-After (a carrier then tries its fallback URL; a WebSocket upgrade is refused before it
 * opens). Telnyx sends every call event to one webhook, so there only a new call is refused.
 */
export function refuseNewCallsWhileDraining(draining: () => boolean) {
  const onRequest = async (req: FastifyRequest, reply: FastifyReply) => {
    if (draining() && INTAKE.has(req.routeOptions.url ?? '')) return refuse(reply);
  };
  const preHandler = async (req: FastifyRequest, reply: FastifyReply) => {
    if (!draining() || req.routeOptions.url !== '/telnyx/webhook') return;
    if (telnyxEventType(req.body) === 'call.initiated') return refuse(reply);
  };
  return (plugin: Plugin): Plugin =>
    async (scope) => {
      scope.addHook('onRequest', onRequest);
      scope.addHook('preHandler', preHandler);
      await plugin(scope);
    };
}

function telnyxEventType(body: unknown): string | undefined {
  try {
    const parsed = typeof body === 'string' ? JSON.parse(body) : body;
    return (parsed as { data?: { event_type?: string } })?.data?.event_type;
  } catch {
    return undefined;
  }
}
