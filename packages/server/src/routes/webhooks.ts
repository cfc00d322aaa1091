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
import { idParams, json, page, pageQuery, stdErrors, timestamp } from '../schemas.js';

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
  .meta({ id: 'Webhook' });

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
  .meta({ id: 'Delivery' });

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

const webhookBody = z.strictObject({
  url: z.url({ protocol: /^https?$/ }).max(2000),
  eventTypes: z.array(z.enum(SUBSCRIBABLE_EVENT_TYPES)).min(1).max(SUBSCRIBABLE_EVENT_TYPES.length),
  format: z.enum(WEBHOOK_FORMATS).default('switchboard'),
  agentId: z.uuid().nullable().optional(),
  description: z.string().max(500).nullable().optional(),
  enabled: z.boolean().default(true),
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
            'Deliveries are signed: `X-Switchboard-Signature: t=<unix s>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. ' +
            'The secret is in this response only.',
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
          params: idParams,
          body: webhookBody.partial(),
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
          description: "Until one exists, deliveries to an agent config's `webhookUrl` are unsigned.",
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
          querystring: z.strictObject({
            ...pageQuery,
            status: z.enum(DELIVERY_STATUSES).optional(),
            webhookId: z.uuid().optional(),
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
