import { AppError, notFound } from '@switchboard/core';
import type { VapiCheck, VapiImportResult, VapiSyncResult } from '@switchboard/integrations';
import { syncView, VAPI_SYNC_STATES, type VapiSettingsView } from '@switchboard/store';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../deps.js';
import { ws } from '../plugins/auth.js';
import { errorResponse, idParams, json, stdErrors, timestamp } from '../schemas.js';

const EXAMPLE_AGENT_ID = '0f8b7c3e-2d4a-4b6e-9c1d-5e7f8a9b0c1d';
const EXAMPLE_ASSISTANT_ID = '5b0a4b5e-1f2b-4c7e-9a43-0d6f2b1e9c11';

/** Which request field a failed check points at. */
const CHECK_FIELD: Record<VapiCheck, string> = {
  connect: 'VAPI_API_URL',
  auth: 'body.privateKey',
  api: 'body.privateKey',
};

const settingsView = z
  .object({
    enabled: z.boolean().describe('the feature flag: off, nothing is synced and server messages are refused'),
    maskedKey: z.string().describe('the last characters of the private key; the key is never returned'),
    serverUrl: z.string().describe('where Vapi posts this workspace’s server messages'),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({
    id: 'VapiSettings',
    examples: [
      {
        enabled: true,
        maskedKey: '••••9f3c',
        serverUrl: 'https://voice.example.com/v1/vapi/events/3c9e1f0a-6b2d-4e8f-9a7c-1d2e3f4a5b6c',
        createdAt: '2026-03-01T18:02:11.004Z',
        updatedAt: '2026-03-02T10:15:04.220Z',
      },
    ],
  });

const syncStateView = z
  .object({
    agentId: z.uuid(),
    linked: z.boolean().describe('false while the assistant of an unlinked or deleted agent awaits deletion'),
    assistantId: z.string().nullable(),
    syncedVersion: z.number().int().nullable().describe('the agent version the assistant was built from'),
    state: z.enum(VAPI_SYNC_STATES),
    error: z.string().nullable().describe('why the last sync failed, when state is error'),
    syncedAt: timestamp.nullable(),
    updatedAt: timestamp,
  })
  .meta({
    id: 'VapiSyncState',
    examples: [
      {
        agentId: EXAMPLE_AGENT_ID,
        linked: true,
        assistantId: EXAMPLE_ASSISTANT_ID,
        syncedVersion: 4,
        state: 'synced',
        error: null,
        syncedAt: '2026-03-02T10:15:04.220Z',
        updatedAt: '2026-03-02T10:15:04.220Z',
      },
    ],
  });

const syncResult = z
  .object({
    agentId: z.uuid(),
    ok: z.boolean(),
    state: z.enum(['synced', 'pending', 'error', 'unlinked']),
    operation: z
      .enum(['created', 'updated', 'unchanged', 'deleted', 'none'])
      .describe('what was done on Vapi'),
    assistantId: z.string().nullable(),
    error: z.string().nullable(),
  })
  .meta({
    id: 'VapiSyncResult',
    examples: [
      {
        agentId: EXAMPLE_AGENT_ID,
        ok: true,
        state: 'synced',
        operation: 'updated',
        assistantId: EXAMPLE_ASSISTANT_ID,
        error: null,
      },
    ],
  });

const bulkResult = z.object({ results: z.array(syncResult) }).meta({
  id: 'VapiBulkSyncResult',
  examples: [
    {
      results: [
        {
          agentId: EXAMPLE_AGENT_ID,
          ok: true,
          state: 'synced',
          operation: 'created',
          assistantId: EXAMPLE_ASSISTANT_ID,
          error: null,
        },
        {
          agentId: '7d2c9b4a-1e3f-4a5b-8c6d-9e0f1a2b3c4d',
          ok: false,
          state: 'error',
          operation: 'none',
          assistantId: null,
          error: 'Vapi answered 400: model.provider must be one of the following values: openai, anthropic',
        },
      ],
    },
  ],
});

const importResult = z
  .object({
    phoneNumberId: z.uuid(),
    ok: z.boolean(),
    operation: z.enum(['created', 'updated', 'unchanged', 'none']).describe('what was done on Vapi'),
    vapiPhoneNumberId: z.string().nullable(),
    assistantId: z.string().nullable().describe('the assistant the number is bound to on Vapi'),
    error: z.string().nullable(),
  })
  .meta({ id: 'VapiImportResult' });

const bulkImport = z.object({ results: z.array(importResult) }).meta({
  id: 'VapiBulkImportResult',
  examples: [
    {
      results: [
        {
          phoneNumberId: '4e5f6a7b-8c9d-4e0f-9a1b-2c3d4e5f6a7b',
          ok: true,
          operation: 'created',
          vapiPhoneNumberId: '9d3e2f1a-0b4c-4d5e-8f6a-7b8c9d0e1f2a',
          assistantId: EXAMPLE_ASSISTANT_ID,
          error: null,
        },
        {
          phoneNumberId: '5f6a7b8c-9d0e-4f1a-8b2c-3d4e5f6a7b8c',
          ok: false,
          operation: 'none',
          vapiPhoneNumberId: null,
          assistantId: null,
          error: "only Twilio numbers are imported to Vapi; this one's connector is plivo",
        },
      ],
    },
  ],
});

/**
 * Vapi as a run target: the workspace's settings (admins), each agent's sync state, a retry for one
 * agent and a sync of several.
 */
export const vapiRoutes =
  ({ store, vapi }: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['vapi'];
    const admin = { role: 'admin' as const };
    const need = () => {
      if (!vapi) throw new AppError('unavailable', 'Vapi is not available in this process');
      return vapi;
    };
    const view = (workspaceId: string, s: VapiSettingsView) => {
      const { workspaceId: _w, ...rest } = s;
      return json({ ...rest, serverUrl: need().serverUrl(workspaceId) });
    };

    app.get(
      '/vapi',
      {
        config: admin,
        schema: {
          tags,
          summary: "Get the workspace's Vapi settings",
          description:
            'Admins only. Whether agents may run on Vapi (`enabled`), the private key masked, and the URL ' +
            'Vapi posts server messages to. 404 when Vapi was never set up.',
          response: { 200: settingsView, ...stdErrors },
        },
      },
      async (req) => {
        const s = await store.vapi.settings(ws(req));
        if (!s) throw notFound('Vapi settings');
        return view(ws(req), s);
      },
    );

    app.put(
      '/vapi',
      {
        config: admin,
        schema: {
          tags,
          summary: 'Set up Vapi for the workspace (the key is checked before it is saved)',
          description:
            'Admins only. Saves the Vapi private API key (encrypted at rest, never returned) and the ' +
            'feature flag. Before anything is saved the key is checked with a real call, `GET /assistant?limit=1` ' +
            'against VAPI_API_URL: reaching Vapi (`connect`), the key (`auth`) and the answer (`api`). A failed ' +
            'check is a 422 whose message names it and whose detail points at the field; nothing stored changes. ' +
            'Omit `privateKey` to keep the stored key (it is checked again). Turning `enabled` on syncs every ' +
            'agent marked `runOnVapi`; turning it off stops syncing and refuses server messages, leaving ' +
            'assistants on Vapi as they are.',
          body: z
            .strictObject({
              privateKey: z
                .string()
                .trim()
                .min(8)
                .max(500)
                .optional()
                .describe('Vapi private API key; write-only'),
              enabled: z.boolean().optional().describe('the feature flag (default true)'),
            })
            .meta({ examples: [{ privateKey: '2f1e8c4d-7b6a-4e3f-9d2c-1b0a9f8e9f3c', enabled: true }] }),
          response: {
            200: settingsView,
            422: errorResponse.describe('a check failed; the message names it (connect, auth, api)'),
            503: errorResponse,
            ...stdErrors,
          },
        },
      },
      async (req) => {
        const workspaceId = ws(req);
        const sync = need();
        const stored = await store.vapi.reveal(workspaceId);
        const privateKey = req.body.privateKey ?? stored?.privateKey;
        if (!privateKey) {
          throw new AppError('validation_failed', 'privateKey is required to set up Vapi', {
            details: [{ path: 'body.privateKey', message: 'required' }],
          });
        }
        const checked = await sync.validate(privateKey, req.id);
        if (!checked.ok) {
          throw new AppError(
            'validation_failed',
            `Vapi check "${checked.check}" failed: ${checked.message}`,
            {
              status: 422,
              details: [
                { path: CHECK_FIELD[checked.check], message: `${checked.check}: ${checked.message}` },
              ],
            },
          );
        }
        const saved = await store.vapi.saveSettings(workspaceId, { privateKey, enabled: req.body.enabled });
        if (saved.enabled && !stored?.enabled) await sync.syncMany(workspaceId, undefined, req.id);
        return view(workspaceId, saved);
      },
    );

    app.delete(
      '/vapi',
      {
        config: admin,
        schema: {
          tags,
          summary: 'Remove the Vapi settings',
          description:
            'Admins only. Deletes the stored key; nothing is synced afterwards and server messages are ' +
            'refused. Assistants already on Vapi are left there (unlink the agents first to delete them). ' +
            '404 when there are no settings.',
          response: { 204: z.null().describe('removed'), ...stdErrors },
        },
      },
      async (req, reply) => {
        if (!(await store.vapi.deleteSettings(ws(req)))) throw notFound('Vapi settings');
        return reply.status(204).send(null);
      },
    );

    app.get(
      '/agents/:id/vapi',
      {
        schema: {
          tags,
          summary: "An agent's Vapi sync state",
          description:
            'Any role. The assistant id, the version it was built from and the sync state: `pending` while a ' +
            'sync runs (or the agent waits for its first publish), `synced`, or `error` with the reason. 404 ' +
            'when the agent never ran on Vapi.',
          params: idParams,
          response: { 200: syncStateView, ...stdErrors },
        },
      },
      async (req) => {
        const row = await store.vapi.syncRow(ws(req), req.params.id);
        if (!row) throw notFound('Vapi sync state of agent', req.params.id);
        return json(syncView(row));
      },
    );

    app.post(
      '/agents/:id/vapi-sync',
      {
        schema: {
          tags,
          summary: "Retry an agent's Vapi sync",
          description:
            'Needs the member role. Brings the agent’s assistant in line now: created once from the published ' +
            'version, updated with only the fields that changed, or deleted when the agent no longer runs on ' +
            'Vapi. 200 with the result when it worked; 502 naming what Vapi answered when it did not (the ' +
            'agent’s sync state is then `error` with the same message). 404 for an unknown agent.',
          params: idParams,
          response: {
            200: syncResult,
            502: errorResponse.describe('Vapi refused or could not be reached; the sync state says error'),
            503: errorResponse,
            ...stdErrors,
          },
        },
      },
      async (req) => {
        await store.agents.get(ws(req), req.params.id);
        const r = await need().syncAgent(ws(req), req.params.id, req.id);
        if (!r.ok) throw new AppError('provider_error', `Vapi sync failed: ${r.error}`, { status: 502 });
        return r;
      },
    );

    app.post(
      '/vapi/sync',
      {
        schema: {
          tags,
          summary: 'Sync several agents to Vapi',
          description:
            'Needs the member role. Syncs the agents listed in `agentIds`, or without it every agent marked ' +
            '`runOnVapi` and every assistant still to be deleted, one result per agent. 200 when every one ' +
            'worked; 207 when some failed, each failed result naming why (its sync state is `error`). An id ' +
            'that is no agent of this workspace is a failed result, not a 404.',
          body: z
            .strictObject({ agentIds: z.array(z.uuid()).min(1).max(200).optional() })
            .nullish()
            .meta({ examples: [{ agentIds: [EXAMPLE_AGENT_ID] }, {}] }),
          response: {
            200: bulkResult,
            207: bulkResult.describe('some agents failed; see each result'),
            503: errorResponse,
            ...stdErrors,
          },
        },
      },
      async (req, reply) => {
        const ids = req.body?.agentIds ? [...new Set(req.body.agentIds)] : undefined;
        const results: VapiSyncResult[] = await need().syncMany(ws(req), ids, req.id);
        return reply.status(results.every((r) => r.ok) ? 200 : 207).send({ results });
      },
    );

    app.post(
      '/vapi/phone-numbers/import',
      {
        config: admin,
        schema: {
          tags,
          summary: 'Import phone numbers to Vapi, bound to their agents’ assistants',
          description:
            'Admins only (the carrier account is sent to Vapi). Imports each Twilio number (`POST /phone-number` ' +
            'with the workspace’s `twilio:<AccountSid>` credential) and binds it to the assistant of the agent ' +
            'it routes to, or of the default inbound agent; that agent must run on Vapi and be synced. A number ' +
            'already imported is only rebound when its assistant changed (`PATCH /phone-number/{id}`). 200 when ' +
            'every number worked; 207 when some failed, each failed result naming why.',
          body: z
            .strictObject({ phoneNumberIds: z.array(z.uuid()).min(1).max(200) })
            .meta({ examples: [{ phoneNumberIds: ['4e5f6a7b-8c9d-4e0f-9a1b-2c3d4e5f6a7b'] }] }),
          response: {
            200: bulkImport,
            207: bulkImport.describe('some numbers failed; see each result'),
            503: errorResponse,
            ...stdErrors,
          },
        },
      },
      async (req, reply) => {
        const ids = [...new Set(req.body.phoneNumberIds)];
        const results: VapiImportResult[] = await need().importNumbers(ws(req), ids, req.id);
        return reply.status(results.every((r) => r.ok) ? 200 : 207).send({ results });
      },
    );
  };
