import type { CallRefusal } from '@switchboard/server';
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

/**
 * Where a new call arrives with nothing of the call's protocol to refuse it by when the process is
 * full: the browser's socket and AVR's pre-call hook. Carrier webhooks answer busy in their own
 * markup instead (see `carriers`), and their media sockets belong to calls already accepted.
 */
const INTAKE_WHEN_FULL = new Set(['/talk/ws', '/call']);

/** How long a refused carrier or peer should wait before retrying (this or another instance). */
const RETRY_AFTER_SECONDS = '5';

const MESSAGES: Record<CallRefusal, string> = {
  draining: 'shutting down: not taking new calls',
  capacity: 'at capacity: not taking new calls',
};

const refuse = (reply: FastifyReply, reason: CallRefusal = 'draining') =>
  reply
    .status(503)
    .header('retry-after', RETRY_AFTER_SECONDS)
    .send({ error: { code: 'unavailable', message: MESSAGES[reason] } });

/**
 * Wraps connector plugins so that, once shutdown began, their call-intake routes answer 503 with
 * Retry-After (a carrier then tries its fallback URL; a WebSocket upgrade is refused before it
 * opens). Telnyx sends every call event to one webhook, so there only a new call is refused.
 * While the process is full (`MAX_CONCURRENT_CALLS`), the routes of `INTAKE_WHEN_FULL` answer the
 * same way.
 */
export function refuseNewCallsWhileDraining(
  draining: () => boolean,
  opts: {
    /** True when the process holds `MAX_CONCURRENT_CALLS` calls: browser and AVR calls get 503. */
    full?: () => boolean;
    /** Counts each refusal (the `switchboard_calls_refused_total` metric). */
    onRefused?: (reason: CallRefusal) => void;
  } = {},
) {
  const refused = (reply: FastifyReply, reason: CallRefusal) => {
    opts.onRefused?.(reason);
    return refuse(reply, reason);
  };
  const onRequest = async (req: FastifyRequest, reply: FastifyReply) => {
    const url = req.routeOptions.url ?? '';
    if (draining() && INTAKE.has(url)) return refused(reply, 'draining');
    if (opts.full?.() && INTAKE_WHEN_FULL.has(url)) return refused(reply, 'capacity');
  };
  const preHandler = async (req: FastifyRequest, reply: FastifyReply) => {
    if (!draining() || req.routeOptions.url !== '/telnyx/webhook') return;
    if (telnyxEventType(req.body) === 'call.initiated') return refused(reply, 'draining');
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
