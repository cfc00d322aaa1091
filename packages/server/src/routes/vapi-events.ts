import { AppError } from '@switchboard/core';
import { VapiIngest, verifyVapiMessage } from '@switchboard/integrations';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../deps.js';
import { errorResponse } from '../schemas.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The body as it arrived, for signature checks. */
    rawBody?: string;
  }
}

/**
 * Where Vapi posts a workspace's server messages. Public, like a carrier webhook: a message counts
 * only with the workspace's secret, as the `x-vapi-secret` header the assistants are synced with
 * or an HMAC-SHA256 signature of the raw body in `x-vapi-signature`.
 */
export const vapiEventRoutes =
  ({ store, calls, logger }: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const ingest = calls
      ? new VapiIngest({
          vapi: store.vapi,
          calls: store.calls,
          bus: calls.bus,
          logger: logger.child({ subsystem: 'vapi-ingest' }),
        })
      : undefined;
    // Scoped to this route: the signature covers the exact bytes, so keep them beside the parsed body.
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
      req.rawBody = body as string;
      try {
        done(null, JSON.parse(body as string));
      } catch {
        done(new AppError('bad_request', 'the body is not valid JSON'), undefined);
      }
    });

    app.post(
      '/vapi/events/:workspaceId',
      {
        config: { auth: 'public' },
        // An end-of-call report carries every message of a long call.
        bodyLimit: 8 * 1_048_576,
        // Who sent it is settled before the body is looked at, so a stranger learns nothing from a 400.
        preValidation: async (req) => {
          const { workspaceId } = req.params as { workspaceId: string };
          const settings = await store.vapi.reveal(workspaceId).catch(() => null);
          if (!settings?.enabled) {
            throw new AppError('unauthorized', 'Vapi is not enabled for this workspace');
          }
          if (!verifyVapiMessage(req.headers, req.rawBody ?? '', settings.serverSecret)) {
            throw new AppError('unauthorized', 'the Vapi secret or signature is missing or wrong');
          }
        },
        schema: {
          tags: ['vapi'],
          summary: 'Receive a Vapi server message',
          description:
            'For Vapi, not for people: the assistants synced from this workspace send their server messages ' +
            'here (`server.url`). Needs the workspace secret in `x-vapi-secret` (set on every synced assistant) ' +
            'or an HMAC-SHA256 hex signature of the raw body in `x-vapi-signature`; otherwise 401. ' +
            '`status-update` (ringing, in-progress), final `transcript` lines and the `end-of-call-report` ' +
            'create and update the call (connector `vapi`, `externalId` Vapi’s call id) in the call list, with ' +
            'transcript, recording link and outcome, and publish the same call events as any call, so webhooks ' +
            'and post-call analysis follow. Other message types are acknowledged and not used. Messages for an ' +
            'assistant no agent is synced to are acknowledged with `applied: false`. 401 as well when the ' +
            'workspace has no Vapi settings or they are switched off.',
          params: z.strictObject({ workspaceId: z.uuid() }),
          body: z
            .object({
              message: z
                .looseObject({ type: z.string().min(1).max(100) })
                .describe('the Vapi message; `type` selects its kind'),
            })
            .meta({
              examples: [
                {
                  message: {
                    type: 'end-of-call-report',
                    endedReason: 'customer-ended-call',
                    call: {
                      id: 'c0a8012e-5f7d-4b3a-9e21-7d6c5b4a3f20',
                      type: 'inboundPhoneCall',
                      assistantId: '5b0a4b5e-1f2b-4c7e-9a43-0d6f2b1e9c11',
                    },
                    customer: { number: '+15551230001' },
                    phoneNumber: { number: '+15559870002' },
                    startedAt: '2026-03-02T10:15:04.220Z',
                    endedAt: '2026-03-02T10:16:31.002Z',
                    artifact: {
                      messages: [
                        {
                          role: 'bot',
                          message: 'Hi, this is Acme Dental. How can I help?',
                          secondsFromStart: 0.4,
                        },
                        { role: 'user', message: 'When are you open?', secondsFromStart: 3.1 },
                      ],
                      recordingUrl: 'https://storage.vapi.ai/c0a8012e-mono.wav',
                    },
                  },
                },
              ],
            }),
          response: {
            200: z
              .object({
                applied: z.boolean(),
                callId: z.uuid().nullable().describe('our call id for this Vapi call'),
                note: z.string().optional(),
              })
              .meta({
                examples: [{ applied: true, callId: '8d4f1a2b-3c5e-4f6a-9b7c-0d1e2f3a4b5c' }],
              }),
            400: errorResponse,
            401: errorResponse,
            503: errorResponse,
          },
        },
      },
      async (req) => {
        if (!ingest) throw new AppError('unavailable', 'calls are not recorded in this process');
        return ingest.handle(req.params.workspaceId, req.body.message, req.id);
      },
    );
  };
