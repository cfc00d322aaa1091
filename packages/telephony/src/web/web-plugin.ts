import { readFileSync } from 'node:fs';
import type {} from '@fastify/websocket';
import type { CallEvent, Logger } from '@switchboard/core';
import type { FastifyInstance } from 'fastify';
import { WebCallLeg } from './web-call-leg.js';

export interface TalkGrant {
  agentId: string;
  workspaceId: string;
}

export interface WebCallPluginOptions {
  /**
   * Checks a short-lived talk token minted by the API and spends it (one call per token); null
   * when invalid, expired or already used.
   */
  verifyToken(token: string): Promise<TalkGrant | null> | TalkGrant | null;
  /** Starts the call on the engine; resolves with the platform's call id once it is running. */
  startCall(leg: WebCallLeg, grant: TalkGrant): Promise<{ callId: string }>;
  /** Call events of one call, for the page's live transcript. Returns the unsubscribe function. */
  subscribe(callId: string, listener: (event: CallEvent) => void): () => void;
  logger: Logger;
}

const asset = (name: string) => readFileSync(new URL(`./public/${name}`, import.meta.url), 'utf8');

/**
 * Browser calls: `/talk/:agentId` serves a small page (talk button, live transcript, level meter)
 * and `/talk/ws?token=…` carries the call. The page and its scripts are public; the socket needs
 * a token from `POST /v1/agents/:id/talk-token`.
 */
export async function webCallPlugin(app: FastifyInstance, opts: WebCallPluginOptions): Promise<void> {
  const page = asset('talk.html');
  const script = asset('talk.js');
  const worklet = asset('talk-worklet.js');
  const publicRoute = { auth: 'public' as const };

  app.get('/talk/:agentId', { config: publicRoute, schema: { hide: true } }, async (_req, reply) =>
    reply.type('text/html; charset=utf-8').send(page),
  );
  app.get('/talk/assets/talk.js', { config: publicRoute, schema: { hide: true } }, async (_req, reply) =>
    reply.type('text/javascript; charset=utf-8').send(script),
  );
  app.get(
    '/talk/assets/talk-worklet.js',
    { config: publicRoute, schema: { hide: true } },
    async (_req, reply) => reply.type('text/javascript; charset=utf-8').send(worklet),
  );

  app.get(
    '/talk/ws',
    { websocket: true, config: publicRoute, schema: { hide: true } },
    async (socket, req) => {
      const token = (req.query as { token?: string }).token ?? '';
      // Held while the token is checked (a Redis round trip with several processes), so audio the
      // page sends at once waits in the socket instead of arriving before the call has a listener.
      socket.pause();
      const grant = await Promise.resolve(opts.verifyToken(token)).catch((err: unknown) => {
        opts.logger.warn(
          { err: err instanceof Error ? err.message : String(err) },
          'talk token check failed',
        );
        return null;
      });
      if (!grant) {
        socket.resume();
        socket.send(
          JSON.stringify({
            type: 'error',
            message: 'talk token is missing, invalid, expired or already used',
          }),
        );
        socket.close(4401, 'unauthorized');
        return;
      }
      const log = opts.logger.child({ connector: 'web', agentId: grant.agentId });
      const leg = new WebCallLeg(`web-${req.id}`, 'browser', grant.agentId, socket, log);
      socket.resume();
      let unsubscribe = () => {};
      socket.on('close', () => unsubscribe());
      opts.startCall(leg, grant).then(
        ({ callId }) => {
          leg.send({ type: 'call', callId });
          unsubscribe = opts.subscribe(callId, (event) => forward(leg, event));
        },
        (err: unknown) => {
          log.warn({ err: err instanceof Error ? err.message : String(err) }, 'browser call could not start');
          leg.send({ type: 'error', message: 'the agent could not take the call' });
          socket.close(1011, 'call failed');
        },
      );
    },
  );
}

function forward(leg: WebCallLeg, event: CallEvent): void {
  switch (event.type) {
    case 'transcript.partial':
      leg.send({ type: 'transcript', role: event.data.role, text: event.data.text, final: false });
      break;
    case 'transcript.final':
      if (event.data.role !== 'tool') {
        leg.send({
          type: 'transcript',
          role: event.data.role,
          text: event.data.text,
          final: true,
          interrupted: !!event.data.interrupted,
        });
      }
      break;
    case 'agent.interrupted':
      leg.send({ type: 'interrupted', heard: event.data.heardText });
      break;
    case 'call.ended':
      leg.send({ type: 'ended', reason: event.data.endedReason });
      break;
    default:
      break;
  }
}
