import {
  AppError,
  type ErrorDetail,
  endpointsOutsideCredential,
  findProviderType,
  OutboundGuard,
  OutboundRefusedError,
  PROVIDER_TYPES,
  type ProviderTypeInfo,
  providerEndpoints,
  targetText,
  validationFailed,
} from '@switchboard/core';
import { PROVIDER_KINDS, type Provider, type Store } from '@switchboard/store';
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
  return { info, settings: r.data };
}

/**
 * Where the provider will connect, checked when it is saved (and again at every use, by the
 * provider factory and the provider test): a credential goes only to its type's vendor hosts and the
 * hosts an admin listed on it, and an IP address the server's network policy refuses is named now
 * rather than at the first call.
 */
async function checkEndpoints(
  store: Store,
  network: OutboundGuard,
  workspaceId: string,
  info: ProviderTypeInfo,
  settings: Record<string, unknown>,
  credentialId: string | null | undefined,
): Promise<void> {
  const details: ErrorDetail[] = [];
  if (credentialId) {
    const cred = await store.credentials.get(workspaceId, credentialId).catch((e: unknown) => {
      if (e instanceof AppError && e.code === 'not_found') {
        details.push({ path: 'body.credentialId', message: 'no credential with this id in this workspace' });
        return undefined;
      }
      throw e;
    });
    for (const e of cred ? endpointsOutsideCredential(info, settings, cred.allowedHosts) : []) {
      const allowed = [...info.vendorHosts, ...(cred?.allowedHosts ?? [])];
      details.push({
        path: `body.settings.${e.setting}`,
        message:
          `${targetText(e.target)} is not an allowed host for credential "${cred?.name}" ` +
          `(allowed: ${allowed.join(', ') || 'none'}); an admin can add it to the credential's allowedHosts ` +
          `(PATCH /v1/credentials/${credentialId}), or use another credential`,
      });
    }
  }
  for (const e of providerEndpoints(info, settings)) {
    try {
      network.checkTarget(e.target);
    } catch (err) {
      if (!(err instanceof OutboundRefusedError)) throw err;
      details.push({ path: `body.settings.${e.setting}`, message: err.message });
    }
  }
  if (details.length > 0) throw validationFailed('the provider may not connect there', details);
}

export const providerRoutes =
  ({ store, config }: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['providers'];
    // Used for its address checks only (no connections): IP literals the network policy refuses.
    const network = OutboundGuard.fromConfig(config);

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
          description:
            'Members and admins. With a `credentialId`, the endpoint setting (`baseUrl`, `url`) must be one of ' +
            "the type's vendor hosts (e.g. api.openai.com) or a host an admin listed in the credential's " +
            '`allowedHosts`; otherwise the answer is a 400 naming `body.settings.baseUrl`. Loopback and private ' +
            'addresses are refused unless the server allows them (`OUTBOUND_ALLOW_PRIVATE_NETWORKS`, ' +
            '`OUTBOUND_ALLOWED_HOSTS`).',
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
        const { info, settings } = checkSettings(
          req.body.kind,
          req.body.type,
          req.body.settings,
          !!req.body.credentialId,
        );
        await checkEndpoints(store, network, ws(req), info, settings, req.body.credentialId);
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
          description:
            '`settings` replaces the settings object as a whole and is validated for the type. The endpoint is ' +
            'checked against the credential (the one sent, or the one attached) as on create.',
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
        const { info, settings } = checkSettings(
          current.kind,
          current.type,
          req.body.settings ?? current.settings,
          !!credentialId,
        );
        await checkEndpoints(store, network, ws(req), info, settings, credentialId);
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
