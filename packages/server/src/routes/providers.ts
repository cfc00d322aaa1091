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
import { idParams, json, PAGED, page, pageQuery, stdErrors, timestamp } from '../schemas.js';
import { EXAMPLE_CREDENTIAL_ID } from './credentials.js';

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
  .meta({
    id: 'Provider',
    examples: [
      {
        id: '8e4f1a2b-3c5d-4e6f-9a7b-1c2d3e4f5a6b',
        name: 'OpenAI gpt-4o-mini',
        kind: 'llm',
        type: 'openai-compatible',
        settings: { baseUrl: 'https://api.openai.com/v1', model: 'gpt-4o-mini', temperature: 0.4 },
        credentialId: EXAMPLE_CREDENTIAL_ID,
        createdAt: '2026-02-11T16:47:30.004Z',
        updatedAt: '2026-02-11T16:47:30.004Z',
      },
    ],
  });

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
          description:
            'Every speech-to-speech (`sts`), speech recognition (`asr`), language model (`llm`) and speech ' +
            'synthesis (`tts`) type a provider can have, for any role: whether it needs a credential and the ' +
            'JSON Schema its `settings` are checked against on create and edit. Not paged.',
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
          description:
            "The workspace's providers for any role; filter by `kind` or `type`. Settings are shown as stored " +
            '(defaults filled in); a credential appears only as its id. ' +
            PAGED,
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
            "Needs the member role. `settings` are checked against the type's schema (`GET /provider-types`): an " +
            'unknown `type` or a bad setting is a 400 naming `body.type` or `body.settings.<field>`, and types ' +
            'that need a credential without `credentialId` are a 400 too; the stored settings have the defaults ' +
            'filled in. A `credentialId` not in the workspace is a 400 naming it. A name already used in the ' +
            'workspace is a 409. With a `credentialId`, the endpoint setting (`baseUrl`, `url`) must be one of ' +
            "the type's vendor hosts (e.g. api.openai.com) or a host an admin listed in the credential's " +
            '`allowedHosts`; otherwise the answer is a 400 naming `body.settings.baseUrl`. Loopback and private ' +
            'addresses are refused unless the server allows them (`OUTBOUND_ALLOW_PRIVATE_NETWORKS`, ' +
            '`OUTBOUND_ALLOWED_HOSTS`).',
          body: z
            .strictObject({
              name: z.string().trim().min(1).max(100),
              kind: z.enum(PROVIDER_KINDS),
              type: z.string().min(1).max(50),
              settings: z.record(z.string(), z.unknown()).default({}),
              credentialId: z.uuid().nullable().optional(),
            })
            .meta({
              examples: [
                {
                  name: 'OpenAI gpt-4o-mini',
                  kind: 'llm',
                  type: 'openai-compatible',
                  settings: { model: 'gpt-4o-mini', temperature: 0.4 },
                  credentialId: EXAMPLE_CREDENTIAL_ID,
                },
                {
                  name: 'OpenAI voice',
                  kind: 'tts',
                  type: 'openai',
                  settings: { voice: 'coral' },
                  credentialId: EXAMPLE_CREDENTIAL_ID,
                },
                { name: 'Offline recognizer', kind: 'asr', type: 'soundswallower' },
              ],
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
          description: 'One provider, for any role; 404 when no provider of this workspace has the id.',
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
            'Needs the member role; changes only the fields given, and `kind` and `type` cannot change. ' +
            '`settings` replaces the settings object as a whole and is validated for the type. The endpoint is ' +
            'checked against the credential (the one sent, or the one attached) as on create; ' +
            '`credentialId: null` detaches it (a 400 for types that need one). 404' +
            ' for an unknown provider, 409 for a name already used.',
          params: idParams,
          body: z
            .strictObject({
              name: z.string().trim().min(1).max(100).optional(),
              settings: z.record(z.string(), z.unknown()).optional(),
              credentialId: z.uuid().nullable().optional(),
            })
            .meta({
              examples: [
                { name: 'OpenAI gpt-4o-mini (calm)' },
                {
                  settings: {
                    baseUrl: 'https://llm-proxy.bayviewdental.com/v1',
                    model: 'gpt-4o-mini',
                    temperature: 0.2,
                  },
                  credentialId: EXAMPLE_CREDENTIAL_ID,
                },
              ],
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
          description:
            "Needs the member role. A provider that an agent's draft or published version still names is a 409 " +
            'listing those agents; the credential it used is kept. 404 for an unknown provider.',
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
