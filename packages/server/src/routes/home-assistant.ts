import { AppError, notFound } from '@switchboard/core';
import type { HaCheck } from '@switchboard/integrations';
import { HA_CONNECTION_STATUSES, type HaConnectionView, type HaEntity } from '@switchboard/store';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../deps.js';
import { ws } from '../plugins/auth.js';
import { errorResponse, json, stdErrors, timestamp } from '../schemas.js';

/** Which request field a failed check points at. */
const CHECK_FIELD: Record<HaCheck, string> = {
  url: 'body.url',
  connect: 'body.url',
  handshake: 'body.url',
  timeout: 'body.url',
  auth: 'body.token',
  registry: 'body.token',
};

const connectionView = z
  .object({
    url: z.string(),
    maskedToken: z
      .string()
      .describe('the last characters of the token, e.g. ••••a1b2; the token is never returned'),
    historyRetentionDays: z.number().int(),
    status: z.enum(HA_CONNECTION_STATUSES),
    lastError: z.string().nullable(),
    haVersion: z.string().nullable(),
    lastSyncedAt: timestamp.nullable(),
    counts: z.object({ devices: z.number().int(), entities: z.number().int(), services: z.number().int() }),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({
    id: 'HomeAssistantConnection',
    examples: [
      {
        url: 'http://homeassistant.local:8123',
        maskedToken: '••••Qx7w',
        historyRetentionDays: 7,
        status: 'connected',
        lastError: null,
        haVersion: '2025.1.0',
        lastSyncedAt: '2026-03-02T10:15:04.220Z',
        counts: { devices: 42, entities: 318, services: 196 },
        createdAt: '2026-03-01T18:02:11.004Z',
        updatedAt: '2026-03-02T10:15:04.220Z',
      },
    ],
  });

const entityView = z
  .object({
    entityId: z.string(),
    domain: z.string(),
    name: z.string(),
    state: z.string().nullable(),
    attributes: z.record(z.string(), z.unknown()).nullable(),
    deviceId: z.string().nullable(),
    areaId: z.string().nullable(),
    lastChanged: timestamp.nullable(),
  })
  .meta({
    id: 'HomeAssistantEntity',
    examples: [
      {
        entityId: 'cover.garage_door',
        domain: 'cover',
        name: 'Garage door',
        state: 'closed',
        attributes: { friendly_name: 'Garage door', device_class: 'garage', current_position: 0 },
        deviceId: 'garage01',
        areaId: 'garage',
        lastChanged: '2026-03-02T07:41:19.501Z',
      },
    ],
  });

const toEntity = (e: HaEntity) =>
  json({
    entityId: e.entityId,
    domain: e.domain,
    name: e.friendlyName,
    state: e.state,
    attributes: e.attributes,
    deviceId: e.deviceId,
    areaId: e.areaId,
    lastChanged: e.lastChanged,
  });

/** The workspace's Home Assistant connection: admins set it, every role reads it (token masked). */
export const homeAssistantRoutes =
  ({ store, home }: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['home-assistant'];
    const admin = { role: 'admin' as const };
    const view = async (c: HaConnectionView) => {
      const { workspaceId: _w, ...rest } = c;
      return json({ ...rest, counts: await store.home.counts(c.workspaceId) });
    };

    app.get(
      '/home-assistant',
      {
        schema: {
          tags,
          summary: "Get the workspace's Home Assistant connection",
          description:
            'For any role: the URL, the token masked (`maskedToken`), the state-history retention, the live ' +
            'status (`connecting`, `connected`, `disconnected`, `auth_failed`, `error`) with the last error, ' +
            'the Home Assistant version, when the registries were last synced, and how many devices, ' +
            'entities and services are stored. 404 when the workspace has no connection.',
          response: { 200: connectionView, ...stdErrors },
        },
      },
      async (req) => {
        const c = await store.home.connection(ws(req));
        if (!c) throw notFound('Home Assistant connection');
        return view(c);
      },
    );

    app.put(
      '/home-assistant',
      {
        config: admin,
        schema: {
          tags,
          summary: 'Connect the workspace to Home Assistant (checked before it is saved)',
          description:
            'Admins only. Saves the URL and a long-lived access token (created on the Home Assistant profile ' +
            'page); the token is encrypted at rest and never returned. Before anything is saved the platform ' +
            'connects and checks, in order: the URL (`url`), reaching `/api/websocket` (`connect`), the ' +
            'protocol handshake (`handshake`), the token (`auth`) and reading the device, entity and service ' +
            'registries (`registry`). A failed check is a 422 whose message names it and whose detail points ' +
            'at `body.url` or `body.token`; nothing stored changes. On success the connection starts syncing ' +
            'the registries and every state and follows changes, reconnecting with backoff. Omit `token` to ' +
            'keep the stored one (changing only the URL or the retention). Private addresses (a house on the ' +
            'LAN) are refused unless the operator allows them (OUTBOUND_ALLOW_PRIVATE_NETWORKS or OUTBOUND_ALLOWED_HOSTS).',
          body: z
            .strictObject({
              url: z
                .url({ protocol: /^(https?|wss?)$/ })
                .max(500)
                // Every role can read the URL back: a password in it would be shown to viewers.
                .refine((u) => !/^[a-z]+:\/\/[^/?#]*@/i.test(u), {
                  message: 'must not contain a user name or password; the long-lived token authenticates',
                })
                .describe('the base URL, e.g. http://homeassistant.local:8123 (no user name or password)'),
              token: z
                .string()
                .trim()
                .min(20)
                .max(2000)
                .optional()
                .describe('long-lived access token; write-only'),
              historyRetentionDays: z
                .number()
                .int()
                .min(1)
                .max(3650)
                .optional()
                .describe('state changes older than this many days are deleted (default 7)'),
            })
            .meta({
              examples: [
                {
                  url: 'http://homeassistant.local:8123',
                  token: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJhYmMxMjMifQ.Qx7w',
                  historyRetentionDays: 14,
                },
              ],
            }),
          response: {
            200: connectionView,
            422: errorResponse.describe(
              'a check failed; the message names it (url, connect, handshake, auth, registry)',
            ),
            503: errorResponse,
            ...stdErrors,
          },
        },
      },
      async (req) => {
        const workspaceId = ws(req);
        if (!home) throw new AppError('unavailable', 'Home Assistant is not available in this process');
        const stored = await store.home.reveal(workspaceId);
        const token = req.body.token ?? stored?.token;
        if (!token) {
          throw new AppError('validation_failed', 'token is required for a new connection', {
            details: [{ path: 'body.token', message: 'required' }],
          });
        }
        const checked = await home.validate(req.body.url, token);
        if (!checked.ok) {
          throw new AppError(
            'validation_failed',
            `Home Assistant check "${checked.check}" failed: ${checked.message}`,
            {
              status: 422,
              details: [
                { path: CHECK_FIELD[checked.check], message: `${checked.check}: ${checked.message}` },
              ],
            },
          );
        }
        const saved = await store.home.saveConnection(workspaceId, {
          url: req.body.url,
          token,
          historyRetentionDays: req.body.historyRetentionDays,
        });
        await store.home.setStatus(workspaceId, 'connecting', { haVersion: checked.haVersion });
        await home.changed(workspaceId);
        return view({ ...saved, haVersion: checked.haVersion });
      },
    );

    app.delete(
      '/home-assistant',
      {
        config: admin,
        schema: {
          tags,
          summary: 'Disconnect Home Assistant',
          description:
            'Admins only. Stops the connection and deletes the stored URL and token. The synced devices, ' +
            'entities, services and state history are deleted too unless `keepData=true`. 404 when there is ' +
            'no connection.',
          querystring: z.strictObject({
            keepData: z
              .enum(['true', 'false'])
              .default('false')
              .transform((v) => v === 'true'),
          }),
          response: { 204: z.null().describe('disconnected'), ...stdErrors },
        },
      },
      async (req, reply) => {
        const workspaceId = ws(req);
        if (!(await store.home.deleteConnection(workspaceId))) throw notFound('Home Assistant connection');
        await home?.changed(workspaceId);
        if (!req.query.keepData) await store.home.clear(workspaceId);
        return reply.status(204).send(null);
      },
    );

    app.get(
      '/home-assistant/entities',
      {
        schema: {
          tags,
          summary: 'List the synced entities and their current state',
          description:
            'For any role: the entities synced from Home Assistant (pulled over the connection or pushed ' +
            'with `/internal/entities/bulk_upsert`), with their name and current state, sorted by entity id. ' +
            'Filter by `domain` (light, cover…) or by words in the name or id (`search`); at most `limit` ' +
            '(default 200, up to 1000).',
          querystring: z.strictObject({
            domain: z
              .string()
              .regex(/^[a-z0-9_]{1,64}$/, 'expected a domain such as light')
              .optional(),
            search: z.string().trim().min(1).max(100).optional(),
            limit: z.coerce.number().int().min(1).max(1000).default(200),
          }),
          response: { 200: z.object({ data: z.array(entityView) }), ...stdErrors },
        },
      },
      async (req) => {
        const rows = await store.home.entities(ws(req), {
          ...(req.query.domain ? { domains: [req.query.domain] } : {}),
          ...(req.query.search ? { search: req.query.search } : {}),
          limit: req.query.limit,
        });
        return { data: rows.map(toEntity) };
      },
    );

    app.get(
      '/home-assistant/entities/:entityId/history',
      {
        schema: {
          tags,
          summary: "An entity's state history",
          description:
            'For any role: the state changes of one entity, oldest first, as followed over the connection or ' +
            "pushed with `/internal/states/bulk_upsert`. History is kept for the connection's " +
            '`historyRetentionDays` (7 without a connection). `since` (an ISO time) and `limit` (default 200, ' +
            'up to 1000) narrow it. An entity id that is not like `light.kitchen` is a 400; an entity with no ' +
            'history answers an empty list.',
          params: z.strictObject({
            entityId: z
              .string()
              .regex(/^[a-z0-9_]{1,64}\.[a-z0-9_]{1,200}$/, 'expected an entity id such as light.kitchen'),
          }),
          querystring: z.strictObject({
            since: timestamp.optional(),
            limit: z.coerce.number().int().min(1).max(1000).default(200),
          }),
          response: {
            200: z
              .object({
                data: z.array(
                  z.object({
                    state: z.string().nullable(),
                    attributes: z.record(z.string(), z.unknown()).nullable(),
                    changedAt: timestamp,
                  }),
                ),
              })
              .meta({
                examples: [
                  {
                    data: [
                      {
                        state: 'open',
                        attributes: { friendly_name: 'Garage door' },
                        changedAt: '2026-03-02T07:41:19.501Z',
                      },
                      {
                        state: 'closed',
                        attributes: { friendly_name: 'Garage door' },
                        changedAt: '2026-03-02T07:44:02.117Z',
                      },
                    ],
                  },
                ],
              }),
            ...stdErrors,
          },
        },
      },
      async (req) => {
        const rows = await store.home.history(ws(req), req.params.entityId, {
          ...(req.query.since ? { since: new Date(req.query.since) } : {}),
          limit: req.query.limit,
        });
        return { data: rows.map((r) => json(r)) };
      },
    );
  };
