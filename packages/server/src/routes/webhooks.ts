import { AppError } from '@switchboard/core';
import {
  createEventsApi,
  DELIVERY_STATUSES,
  type DeliveryRow,
  SUBSCRIBABLE_EVENT_TYPES,
  WEBHOOK_FORMATS,
  type WebhookRow,
} from '@switchboard/events';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../deps.js';
import { ws } from '../plugins/auth.js';
import { idParams, json, PAGED, page, pageQuery, stdErrors, timestamp } from '../schemas.js';

const webhookView = z
  .object({
    id: z.uuid(),
    agentId: z.uuid().nullable().describe("only this agent's calls; null for all"),
    url: z.string(),
    eventTypes: z.array(z.string()),
    format: z.enum(WEBHOOK_FORMATS),
    description: z.string().nullable(),
    enabled: z.boolean(),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({
    id: 'Webhook',
    examples: [
      {
        id: '7c1d4e9a-2b3f-4a6c-8d5e-0f1a2b3c4d5e',
        agentId: null,
        url: 'https://crm.bayviewdental.com/hooks/switchboard',
        eventTypes: ['call.ended', 'call.analyzed'],
        format: 'switchboard',
        description: 'CRM call log',
        enabled: true,
        createdAt: '2026-02-12T10:03:55.201Z',
        updatedAt: '2026-02-12T10:03:55.201Z',
      },
    ],
  });

const deliveryView = z
  .object({
    id: z.uuid(),
    eventId: z.uuid().describe('sent as X-Switchboard-Event-Id; receivers dedupe on it'),
    type: z.string(),
    callId: z.uuid(),
    target: z.enum(['webhook', 'agent', 'mqtt']),
    webhookId: z.uuid().nullable(),
    status: z.enum(DELIVERY_STATUSES),
    attempts: z.number().int(),
    nextAttemptAt: timestamp,
    lastStatus: z.number().int().nullable(),
    lastError: z.string().nullable(),
    deliveredAt: timestamp.nullable(),
    createdAt: timestamp,
  })
  .meta({
    id: 'Delivery',
    examples: [
      {
        id: '4a5b6c7d-8e9f-4a0b-9c1d-2e3f4a5b6c7d',
        eventId: '9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b',
        type: 'call.ended',
        callId: '2b7e9f4c-6d1a-4e3b-8c5f-9a0d1e2f3b4c',
        target: 'webhook',
        webhookId: '7c1d4e9a-2b3f-4a6c-8d5e-0f1a2b3c4d5e',
        status: 'dead',
        attempts: 14,
        nextAttemptAt: '2026-03-05T15:04:12.930Z',
        lastStatus: 503,
        lastError: 'HTTP 503',
        deliveredAt: null,
        createdAt: '2026-03-04T15:06:40.118Z',
      },
    ],
  });

const view = (w: WebhookRow) =>
  json({
    id: w.id,
    agentId: w.agentId,
    url: w.url,
    eventTypes: w.eventTypes,
    format: w.format,
    description: w.description,
    enabled: w.enabled,
    createdAt: w.createdAt,
    updatedAt: w.updatedAt,
  });

const deliveryOut = (d: DeliveryRow) =>
  json({
    id: d.id,
    eventId: d.eventId,
    type: d.type,
    callId: d.callId,
    target: d.target,
    webhookId: d.webhookId,
    status: d.status,
    attempts: d.attempts,
    nextAttemptAt: d.nextAttemptAt,
    lastStatus: d.lastStatus,
    lastError: d.lastError,
    deliveredAt: d.deliveredAt,
    createdAt: d.createdAt,
  });

const webhookFields = z.strictObject({
  url: z.url({ protocol: /^https?$/ }).max(2000),
  eventTypes: z.array(z.enum(SUBSCRIBABLE_EVENT_TYPES)).min(1).max(SUBSCRIBABLE_EVENT_TYPES.length),
  format: z.enum(WEBHOOK_FORMATS).default('switchboard'),
  agentId: z.uuid().nullable().optional(),
  description: z.string().max(500).nullable().optional(),
  enabled: z.boolean().default(true),
});
const webhookBody = webhookFields.meta({
  examples: [
    {
      url: 'https://crm.bayviewdental.com/hooks/switchboard',
      eventTypes: ['call.ended', 'call.analyzed'],
      description: 'CRM call log',
    },
    {
      url: 'https://avr.bayviewdental.com/webhook',
      eventTypes: ['call.started', 'transcript.final', 'call.ended'],
      format: 'avr',
      agentId: '0f8b7c3e-2d4a-4b6e-9c1d-5e7f8a9b0c1d',
    },
  ],
});
// Without defaults: a field left out of an edit keeps its stored value (a default here would
// switch a disabled webhook back on, or an AVR one back to the switchboard format).
const webhookPatch = webhookFields
  .extend({ format: z.enum(WEBHOOK_FORMATS), enabled: z.boolean() })
  .partial()
  .meta({
    examples: [{ enabled: false }, { eventTypes: ['call.started', 'call.ended', 'call.analyzed'] }],
  });

/** Webhooks, their deliveries and the dead-letter queue. */
export const webhookRoutes =
  ({ store, config, internalToken }: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const events = createEventsApi({
      store,
      publicUrl: config.publicUrl,
      internalToken,
      mqtt: !!config.MQTT_URL,
    });
    const tags = ['webhooks'];
    const admin = { role: 'admin' as const };
    const withSecret = webhookView.extend({
      secret: z.string().describe('the signing secret; shown only in this response'),
    });

    app.get(
      '/webhooks',
      {
        schema: {
          tags,
          summary: 'List webhooks',
          description: "The workspace's webhooks for any role, without their secrets. " + PAGED,
          querystring: z.strictObject(pageQuery),
          response: { 200: page(webhookView), ...stdErrors },
        },
      },
      async (req) => {
        const r = await events.webhooks.list(ws(req), req.query);
        return { data: r.data.map(view), nextCursor: r.nextCursor };
      },
    );

    app.post(
      '/webhooks',
      {
        config: admin,
        schema: {
          tags,
          summary: 'Create a webhook',
          description:
            'Admins only. Each event of a subscribed type (`transcript.partial` and `turn.latency`, for the live view only, cannot be subscribed) is ' +
            "POSTed as JSON to `url`, for every call, or only `agentId`'s calls (404 for an agent not in the " +
            'workspace). `format`: `switchboard` (`{ id, type, createdAt, workspaceId, data }`), `avr` (the ' +
            "AVR webhook envelope, for AVR's event types only, with the secret also in `X-AVR-WEBHOOK-SECRET`) " +
            'or `external-updates` (a one-item array in the shape `POST /v1/calls/external-updates` takes). ' +
            'Every delivery carries `X-Switchboard-Event-Id` (receivers dedupe on it) and is signed: ' +
            '`X-Switchboard-Signature: t=<unix s>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. The secret is in this ' +
            'response only (stored encrypted). A 2xx answer is delivered; a 4xx other than 408 and 429, or a ' +
            "target the server's network policy refuses, dead-letters the delivery at once; anything else is " +
            'retried with exponential backoff (from 5 s, up to an hour apart) for 24 hours, then dead-lettered. ' +
            'Events of one call are delivered in order: later ones wait behind a failing one.',
          body: webhookBody,
          response: { 201: withSecret, ...stdErrors },
        },
      },
      async (req, reply) => {
        if (req.body.agentId) await store.agents.get(ws(req), req.body.agentId);
        const { webhook, secret } = await events.webhooks.create(ws(req), req.body);
        return reply.status(201).send({ ...view(webhook), secret });
      },
    );

    app.get(
      '/webhooks/:id',
      {
        schema: {
          tags,
          summary: 'Get a webhook',
          description:
            'One webhook without its secret, for any role; 404 when no webhook of this workspace has the id.',
          params: idParams,
          response: { 200: webhookView, ...stdErrors },
        },
      },
      async (req) => view(await events.webhooks.get(ws(req), req.params.id)),
    );

    app.patch(
      '/webhooks/:id',
      {
        config: admin,
        schema: {
          tags,
          summary: 'Change a webhook',
          description:
            'Admins only; keeps the secret (`POST /webhooks/{id}/rotate-secret` replaces it). Fields left out ' +
            'keep their values. `enabled: false` stops new events from being queued for it. 404 for an unknown ' +
            'webhook or an `agentId` not in the workspace.',
          params: idParams,
          body: webhookPatch,
          response: { 200: webhookView, ...stdErrors },
        },
      },
      async (req) => {
        if (req.body.agentId) await store.agents.get(ws(req), req.body.agentId);
        return view(await events.webhooks.update(ws(req), req.params.id, req.body));
      },
    );

    app.delete(
      '/webhooks/:id',
      {
        config: admin,
        schema: {
          tags,
          summary: 'Delete a webhook and its pending deliveries',
          description:
            'Admins only. The webhook, its deliveries and its signing secret go together. 404 for an unknown webhook.',
          params: idParams,
          response: { 204: z.null(), ...stdErrors },
        },
      },
      async (req, reply) => {
        await events.webhooks.delete(ws(req), req.params.id);
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/webhooks/:id/rotate-secret',
      {
        config: admin,
        schema: {
          tags,
          summary: 'Replace the signing secret (the old one stops working)',
          description:
            'Admins only. The new secret is in this response only; deliveries are signed with it within about ' +
            'ten seconds (delivery workers cache secrets that long), so accept both briefly. 404 for an unknown ' +
            'webhook.',
          params: idParams,
          response: { 200: withSecret, ...stdErrors },
        },
      },
      async (req) => {
        const { webhook, secret } = await events.webhooks.rotateSecret(ws(req), req.params.id);
        return { ...view(webhook), secret };
      },
    );

    app.post(
      '/webhooks/default-secret',
      {
        config: admin,
        schema: {
          tags,
          summary: "Create or replace the secret that signs agents' webhookUrl deliveries",
          description:
            "Admins only. Until one exists, deliveries to an agent config's `webhookUrl` (`call.started`, " +
            '`call.answered`, `call.ended`, `call.analyzed`, in the `switchboard` format) are unsigned. The ' +
            'secret is in this response only; calling again replaces it (within about ten seconds, as on rotation).',
          response: { 200: z.object({ secret: z.string() }), ...stdErrors },
        },
      },
      async (req) => ({ secret: await events.webhooks.rotateDefaultSecret(ws(req)) }),
    );

    app.get(
      '/webhooks/:id/deliveries',
      {
        schema: {
          tags,
          summary: "A webhook's deliveries, newest first",
          description:
            'For any role: one row per event sent (or to be sent) to this webhook, with attempts and the last ' +
            'HTTP status or error; filter by `status` (`pending`, `delivered`, `dead`). 404 for an unknown ' +
            'webhook. ' +
            PAGED,
          params: idParams,
          querystring: z.strictObject({ ...pageQuery, status: z.enum(DELIVERY_STATUSES).optional() }),
          response: { 200: page(deliveryView), ...stdErrors },
        },
      },
      async (req) => {
        await events.webhooks.get(ws(req), req.params.id);
        const r = await events.deliveries.list(ws(req), { ...req.query, webhookId: req.params.id });
        return { data: r.data.map(deliveryOut), nextCursor: r.nextCursor };
      },
    );

    app.post(
      '/webhooks/:id/replay',
      {
        config: admin,
        schema: {
          tags,
          summary: "Replay all of a webhook's dead-lettered deliveries",
          description:
            'Admins only. Puts every dead delivery of this webhook back in the queue with a fresh retry ' +
            'window and the same event ids; `replayed` counts them (0 when there were none). Delivery ' +
            'happens in the background: follow it in the deliveries list. 404 for an unknown webhook.',
          params: idParams,
          response: { 200: z.object({ replayed: z.number().int() }), ...stdErrors },
        },
      },
      async (req) => {
        await events.webhooks.get(ws(req), req.params.id);
        return {
          replayed: await events.deliveries.replay(ws(req), { webhookId: req.params.id }, new Date()),
        };
      },
    );

    app.get(
      '/deliveries',
      {
        schema: {
          tags,
          summary: 'Deliveries of every target; `status=dead` lists the dead letters',
          description:
            "For any role: deliveries to webhooks, agents' `webhookUrl` (`target: agent`) and MQTT, filtered " +
            "by `status`, `webhookId` and `callId` (the deliveries of one call's events). " +
            PAGED,
          querystring: z.strictObject({
            ...pageQuery,
            status: z.enum(DELIVERY_STATUSES).optional(),
            webhookId: z.uuid().optional(),
            callId: z.uuid().optional().describe("only the deliveries of this call's events"),
          }),
          response: { 200: page(deliveryView), ...stdErrors },
        },
      },
      async (req) => {
        const r = await events.deliveries.list(ws(req), req.query);
        return { data: r.data.map(deliveryOut), nextCursor: r.nextCursor };
      },
    );

    app.post(
      '/deliveries/:id/replay',
      {
        config: admin,
        schema: {
          tags,
          summary: 'Replay one dead-lettered delivery (same event id)',
          description:
            'Admins only. Queues the delivery again at once with a fresh retry window and returns it as ' +
            '`pending`; the events of the same call held behind it follow in order. 409 unless it is `dead`; ' +
            '404 for an unknown delivery.',
          params: idParams,
          response: { 200: deliveryView, ...stdErrors },
        },
      },
      async (req) => {
        const d = await events.deliveries.get(ws(req), req.params.id);
        if (d.status !== 'dead') {
          throw new AppError(
            'conflict',
            `delivery ${d.id} is ${d.status}; only dead deliveries can be replayed`,
          );
        }
        await events.deliveries.replay(ws(req), { id: d.id }, new Date());
        return deliveryOut(await events.deliveries.get(ws(req), d.id));
      },
    );
  };
