import { type ErrorDetail, findProviderType, PROVIDER_TYPES, validationFailed } from '@switchboard/core';
import { PROVIDER_KINDS, type Provider } from '@switchboard/store';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../deps.js';
import { ws } from '../plugins/auth.js';
import { idParams, json, page, pageQuery, stdErrors, timestamp } from '../schemas.js';

const providerView = z
  .object({
    id: z.uuid(),
    name: z.string(),
    kind: z.enum(PROVIDER_KINDS),
    type: z.string(),
    settings: z.record(z.string(), z.unknown()),
    credentialId: z.uuid().nullable(),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: 'Provider' });

const view = ({ workspaceId: _w, ...rest }: Provider) => json(rest);

/** Settings are checked against the type's own schema; errors name `body.settings.<field>`. */
function checkSettings(kind: string, type: string, settings: unknown, hasCredential: boolean) {
  const info = findProviderType(kind, type);
  if (!info) {
    const known = PROVIDER_TYPES.filter((p) => p.kind === kind).map((p) => p.type);
    throw validationFailed(`unknown ${kind} provider type ${type}`, [
      { path: 'body.type', message: `expected one of: ${known.join(', ')}` },
    ]);
  }
  const r = info.settings.safeParse(settings ?? {});
  const details: ErrorDetail[] = r.success
    ? []
    : r.error.issues.map((i) => ({
        path: ['body', 'settings', ...i.path.map(String)].join('.'),
        message: i.message,
      }));
  if (info.needsCredential && !hasCredential) {
    details.push({ path: 'body.credentialId', message: `${info.label} needs a credential` });
  }
  if (details.length > 0 || !r.success) throw validationFailed('provider settings are invalid', details);
  return r.data;
}

export const providerRoutes =
  ({ store }: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['providers'];

    app.get(
      '/provider-types',
      {
        schema: {
          tags,
          summary: 'The provider types this instance supports',
          response: {
            200: z.object({
              data: z.array(
                z.object({
                  kind: z.enum(PROVIDER_KINDS),
                  type: z.string(),
                  label: z.string(),
                  needsCredential: z.boolean(),
                  settingsSchema: z.record(z.string(), z.unknown()),
                }),
              ),
            }),
            ...stdErrors,
          },
        },
      },
      async () => ({
        data: PROVIDER_TYPES.map((p) => ({
          kind: p.kind,
          type: p.type,
          label: p.label,
          needsCredential: p.needsCredential,
          settingsSchema: z.toJSONSchema(p.settings, { io: 'input', unrepresentable: 'any' }) as Record<
            string,
            unknown
          >,
        })),
      }),
    );

    app.get(
      '/providers',
      {
        schema: {
          tags,
          summary: 'List providers',
          querystring: z.strictObject({
            ...pageQuery,
            kind: z.enum(PROVIDER_KINDS).optional(),
            type: z.string().max(50).optional(),
          }),
          response: { 200: page(providerView), ...stdErrors },
        },
      },
      async (req) => {
        const r = await store.providers.list(ws(req), req.query);
        return { data: r.data.map(view), nextCursor: r.nextCursor };
      },
    );

    app.post(
      '/providers',
      {
        schema: {
          tags,
          summary: 'Configure a provider',
          body: z.strictObject({
            name: z.string().trim().min(1).max(100),
            kind: z.enum(PROVIDER_KINDS),
            type: z.string().min(1).max(50),
            settings: z.record(z.string(), z.unknown()).default({}),
            credentialId: z.uuid().nullable().optional(),
          }),
          response: { 201: providerView, ...stdErrors },
        },
      },
      async (req, reply) => {
        const settings = checkSettings(
          req.body.kind,
          req.body.type,
          req.body.settings,
          !!req.body.credentialId,
        );
        return reply.status(201).send(view(await store.providers.create(ws(req), { ...req.body, settings })));
      },
    );

    app.get(
      '/providers/:id',
      {
        schema: {
          tags,
          summary: 'Get a provider',
          params: idParams,
          response: { 200: providerView, ...stdErrors },
        },
      },
      async (req) => view(await store.providers.get(ws(req), req.params.id)),
    );

    app.patch(
      '/providers/:id',
      {
        schema: {
          tags,
          summary: 'Edit a provider',
          description: '`settings` replaces the settings object as a whole and is validated for the type.',
          params: idParams,
          body: z.strictObject({
            name: z.string().trim().min(1).max(100).optional(),
            settings: z.record(z.string(), z.unknown()).optional(),
            credentialId: z.uuid().nullable().optional(),
          }),
          response: { 200: providerView, ...stdErrors },
        },
      },
      async (req) => {
        const current = await store.providers.get(ws(req), req.params.id);
        const credentialId =
          req.body.credentialId === undefined ? current.credentialId : req.body.credentialId;
        const settings = checkSettings(
          current.kind,
          current.type,
          req.body.settings ?? current.settings,
          !!credentialId,
        );
        return view(await store.providers.update(ws(req), req.params.id, { ...req.body, settings }));
      },
    );

    app.delete(
      '/providers/:id',
      {
        schema: {
          tags,
          summary: 'Delete a provider',
          params: idParams,
          response: { 204: z.null(), ...stdErrors },
        },
      },
      async (req, reply) => {
        await store.providers.delete(ws(req), req.params.id);
        return reply.status(204).send(null);
      },
    );
  };
