import { randomUUID } from 'node:crypto';
import { AppError } from '@switchboard/core';
import { type ChatSession, isProviderError } from '@switchboard/engine';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { CallRunner } from '../calls/call-runner.js';
import type { TalkTokens } from '../calls/talk-token.js';
import type { AppDeps } from '../deps.js';
import { ws } from '../plugins/auth.js';
import { errorResponse, idParams, stdErrors, timestamp } from '../schemas.js';

export interface TalkDeps {
  runner: CallRunner;
  tokens: TalkTokens;
}

/** Chats idle this long are dropped. */
const CHAT_IDLE_MS = 10 * 60_000;
const MAX_CHATS = 1000;

/** Browser-call tokens and the text-mode test chat. */
export const talkRoutes =
  (deps: AppDeps, talk: TalkDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['agents'];
    const chats = new Map<
      string,
      { chat: ChatSession; agentId: string; workspaceId: string; touched: number }
    >();
    const sweep = setInterval(() => {
      const cutoff = Date.now() - CHAT_IDLE_MS;
      for (const [id, c] of chats) {
        if (c.touched < cutoff) {
          chats.delete(id);
          void c.chat.close();
        }
      }
    }, 60_000);
    sweep.unref();
    app.addHook('onClose', async () => {
      clearInterval(sweep);
      await Promise.allSettled([...chats.values()].map((c) => c.chat.close()));
      chats.clear();
    });

    app.post(
      '/agents/:id/talk-token',
      {
        schema: {
          tags,
          summary: 'Mint a short-lived token for a browser call to this agent',
          description:
            'Open `/talk/<agent id>?token=<token>` in a browser, or connect to `/talk/ws?token=<token>`. ' +
            'The token is good for one agent for 5 minutes and needs no API key, so the link can be shared ' +
            'for a quick test. The call runs the published version; an agent that was never published is a ' +
            '404. Needs the member role; the body may be empty.',
          params: idParams,
          body: z
            .strictObject({})
            .nullish()
            .meta({ examples: [{}] }),
          response: {
            201: z.object({ token: z.string(), expiresAt: timestamp, url: z.string() }).meta({
              examples: [
                {
                  token: 'eyJhZ2VudElkIjoiMGY4YjdjM2UifQ.q9X2mB7vT4kL1wR8sN3cY6pZ0aF5dH2jE9uG1oK4',
                  expiresAt: '2026-03-02T10:20:00.000Z',
                  url:
                    'https://switchboard.bayviewdental.com/talk/0f8b7c3e-2d4a-4b6e-9c1d-5e7f8a9b0c1d' +
                    '?token=eyJhZ2VudElkIjoiMGY4YjdjM2UifQ.q9X2mB7vT4kL1wR8sN3cY6pZ0aF5dH2jE9uG1oK4',
                },
              ],
            }),
            ...stdErrors,
          },
        },
      },
      async (req, reply) => {
        // Only a published agent can take a call.
        await deps.store.resolver.resolveAgent({ agentId: req.params.id, workspaceId: ws(req) });
        const { token, expiresAt } = talk.tokens.mint(req.params.id, ws(req));
        return reply.status(201).send({
          token,
          expiresAt: expiresAt.toISOString(),
          url: `${deps.config.publicUrl}/talk/${req.params.id}?token=${encodeURIComponent(token)}`,
        });
      },
    );

    app.post(
      '/agents/:id/test-chat',
      {
        schema: {
          tags,
          summary: 'Talk to an agent in text: the same model and tools as a call, typed turns',
          description:
            'Start without `sessionId` (optionally with `draft: true` to try unpublished edits); the answer ' +
            'carries a `sessionId` to continue the conversation. The first answer holds the greeting; each ' +
            'message gets the reply and the tools the model called (tools really run, e.g. HTTP tools; a ' +
            'transfer ends the chat). A session idle for 10 minutes, or ended by the agent, is gone (404 on ' +
            "reuse, as for another agent's session); too many open sessions is a 429. Needs the member role. " +
            "A 422 `provider_error` says the agent's model provider failed for a reason a retry will not fix " +
            '(a rejected key, an endpoint its credential may not be sent to, an address the server does not ' +
            "reach), in our words: the vendor's response is never quoted. HTTP tools go through the same " +
            'outbound checks; a refused one is a failed tool call (`ok: false`).',
          params: idParams,
          body: z
            .strictObject({
              sessionId: z.uuid().optional(),
              message: z.string().min(1).max(4000).optional(),
              draft: z.boolean().optional(),
              variables: z.record(z.string(), z.string()).optional(),
            })
            .meta({
              examples: [
                { draft: true, message: 'When are you open?', variables: { patientName: 'Ana' } },
                { sessionId: '4c2e8a1b-6d3f-4e5a-9b7c-1d2e3f4a5b6c', message: 'Thanks, bye!' },
              ],
            }),
          response: {
            200: z.object({
              sessionId: z.uuid(),
              greeting: z.string().nullable(),
              reply: z.string().nullable(),
              toolCalls: z.array(
                z.object({ name: z.string(), args: z.unknown(), result: z.unknown(), ok: z.boolean() }),
              ),
              ended: z.boolean(),
            }),
            422: errorResponse,
            ...stdErrors,
          },
        },
      },
      async (req) => {
        const workspaceId = ws(req);
        let entry = req.body.sessionId ? chats.get(req.body.sessionId) : undefined;
        if (
          req.body.sessionId &&
          (!entry || entry.workspaceId !== workspaceId || entry.agentId !== req.params.id)
        ) {
          throw new AppError('not_found', `chat session ${req.body.sessionId} not found or expired`);
        }
        let sessionId = req.body.sessionId;
        let greeting: string | null = null;
        if (!entry) {
          if (chats.size >= MAX_CHATS)
            throw new AppError('rate_limited', 'too many open test chats; try again later');
          const chat = await talk.runner
            .chat(workspaceId, req.params.id, {
              ...(req.body.draft !== undefined ? { draft: req.body.draft } : {}),
              ...(req.body.variables ? { variables: req.body.variables } : {}),
            })
            .catch(providerFailure);
          sessionId = randomUUID();
          entry = { chat, agentId: req.params.id, workspaceId, touched: Date.now() };
          chats.set(sessionId, entry);
          greeting = chat.greeting ?? null;
        }
        entry.touched = Date.now();
        const r = req.body.message
          ? await entry.chat.send(req.body.message).catch(providerFailure)
          : undefined;
        if (r?.ended || entry.chat.ended) {
          chats.delete(sessionId!);
          await entry.chat.close();
        }
        return {
          sessionId: sessionId!,
          greeting,
          reply: r ? r.text : null,
          toolCalls: r ? r.toolCalls : [],
          ended: r?.ended ?? entry.chat.ended,
        };
      },
    );
  };

/**
 * A provider the agent names failed in a way the same request will not fix (a refused key, a host
 * its credential may not go to, an address the server does not reach): a 422 that says so in our
 * words, which never quote the vendor's body. Transient failures stay 5xx.
 */
function providerFailure(e: unknown): never {
  if (isProviderError(e) && !e.retryable) {
    throw new AppError('provider_error', `the agent's provider failed: ${e.message}`, { status: 422 });
  }
  throw e;
}
