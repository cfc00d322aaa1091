import { type AgentConfig, AppError, agentConfigSchema } from '@switchboard/core';
import type { Agent, AgentVersion } from '@switchboard/store';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../deps.js';
import { ws } from '../plugins/auth.js';
import { idParams, json, PAGED, page, pageQuery, stdErrors, timestamp } from '../schemas.js';

const EXAMPLE_AGENT_ID = '0f8b7c3e-2d4a-4b6e-9c1d-5e7f8a9b0c1d';
const EXAMPLE_USER_ID = '6a1e2f3b-4c5d-4e7f-8a9b-0c1d2e3f4a5b';
/** What a front-desk agent's draft looks like once stored: every default filled in. */
const exampleConfig = agentConfigSchema.parse({
  greeting: 'Thanks for calling Bayview Dental. How can I help you today?',
  systemPrompt: 'You are the front desk of Bayview Dental. Answer briefly and book appointments.',
  tools: [{ type: 'end_call' }],
  knowledge: {
    faq: [
      {
        question: 'When are you open?',
        answer: 'Monday to Friday, 8 am to 6 pm.',
        keywords: ['hours', 'open'],
      },
    ],
  },
});

const agentView = z
  .object({
    id: z.uuid(),
    name: z.string(),
    description: z.string().nullable(),
    draft: agentConfigSchema,
    draftUpdatedAt: timestamp,
    currentVersion: z.number().int().nullable(),
    hasUnpublishedChanges: z.boolean(),
    defaultInbound: z.boolean(),
    defaultOutbound: z.boolean(),
    runOnVapi: z
      .boolean()
      .describe(
        'the published version is synced to a Vapi assistant (GET /v1/agents/{id}/vapi for its state)',
      ),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({
    id: 'Agent',
    examples: [
      {
        id: EXAMPLE_AGENT_ID,
        name: 'Front desk',
        description: 'Answers the main line and books appointments',
        draft: exampleConfig,
        draftUpdatedAt: '2026-03-02T09:14:07.512Z',
        currentVersion: 3,
        hasUnpublishedChanges: false,
        defaultInbound: true,
        defaultOutbound: false,
        runOnVapi: false,
        createdAt: '2026-02-11T16:40:21.003Z',
        updatedAt: '2026-03-02T09:14:07.512Z',
      },
    ],
  });

const versionView = z
  .object({
    agentId: z.uuid(),
    version: z.number().int(),
    config: agentConfigSchema,
    note: z.string().nullable(),
    sourceVersion: z.number().int().nullable(),
    createdBy: z.uuid().nullable(),
    createdAt: timestamp,
  })
  .meta({
    id: 'AgentVersion',
    examples: [
      {
        agentId: EXAMPLE_AGENT_ID,
        version: 3,
        config: exampleConfig,
        note: 'Opening hours in the FAQ',
        sourceVersion: null,
        createdBy: EXAMPLE_USER_ID,
        createdAt: '2026-03-02T09:14:07.512Z',
      },
    ],
  });

const name = z.string().trim().min(1).max(100);
const runOnVapi = z
  .boolean()
  .describe(
    'run on Vapi: the published version is synced to a Vapi assistant; false deletes the assistant (docs/vapi.md)',
  );
const description = z.string().max(2000).nullable();

const viewAgent = (a: Agent) => {
  const { workspaceId: _w, ...rest } = a;
  return json(rest);
};
const viewVersion = (v: AgentVersion) => {
  const { workspaceId: _w, ...rest } = v;
  return json({ ...rest, config: v.config as AgentConfig });
};

/** Validation errors from the repository name fields under the request body. */
async function inBody<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof AppError && e.code === 'validation_failed') {
      throw new AppError('validation_failed', e.message, {
        details: e.details.map((d) => ({
          ...d,
          path: d.path.startsWith('config') ? `body.${d.path}` : d.path,
        })),
      });
    }
    throw e;
  }
}

export const agentRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const { store } = deps;
    const tags = ['agents'];

    /** Marking an agent to run on Vapi needs the workspace's Vapi settings, switched on. */
    const assertVapi = async (workspaceId: string) => {
      const s = await store.vapi.settings(workspaceId);
      if (!s?.enabled) {
        throw new AppError('validation_failed', 'runOnVapi needs Vapi set up and enabled for the workspace', {
          details: [{ path: 'body.runOnVapi', message: 'set up Vapi first (PUT /v1/vapi)' }],
        });
      }
    };
    /**
     * Brings the agent's Vapi assistant in line after a change, when the agent runs or ran on Vapi.
     * The outcome is the agent's sync state; a failed sync does not undo the change itself.
     */
    const resync = async (req: FastifyRequest, agentId: string) => {
      if (!deps.vapi) return;
      const workspaceId = ws(req);
      const runs = await store.agents.get(workspaceId, agentId).then(
        (a) => a.runOnVapi,
        () => false,
      );
      if (!runs && !(await store.vapi.syncRow(workspaceId, agentId))) return;
      await deps.vapi.syncAgent(workspaceId, agentId, req.id);
    };

    app.get(
      '/agents',
      {
        schema: {
          tags,
          summary: 'List agents',
          description:
            "The workspace's agents with their drafts, for any role. `name` filters by a case-insensitive " +
            'substring; `default` keeps the default inbound or outbound agent. ' +
            PAGED,
          querystring: z.strictObject({
            ...pageQuery,
            name: z.string().max(100).optional().describe('substring of the name, case-insensitive'),
            default: z.enum(['inbound', 'outbound']).optional(),
          }),
          response: { 200: page(agentView), ...stdErrors },
        },
      },
      async (req) => {
        const r = await store.agents.list(ws(req), { ...req.query, isDefault: req.query.default });
        return { data: r.data.map(viewAgent), nextCursor: r.nextCursor };
      },
    );

    app.post(
      '/agents',
      {
        schema: {
          tags,
          summary: 'Create an agent',
          description:
            'Creates the agent with its draft configuration (omitted fields take their defaults); ' +
            '`publish: true` also publishes version 1 so it can take calls at once. Needs the member role. ' +
            '`defaultInbound`/`defaultOutbound` move that default here from whichever agent had it. ' +
            'Every provider id in `config.providers` must be a provider of this workspace of the right kind ' +
            '(400 naming the field otherwise); a name already used in the workspace is a 409.',
          body: z
            .strictObject({
              name,
              description: description.optional(),
              config: agentConfigSchema.optional(),
              defaultInbound: z.boolean().optional(),
              defaultOutbound: z.boolean().optional(),
              runOnVapi: runOnVapi.optional(),
              publish: z.boolean().optional(),
            })
            .meta({
              examples: [
                {
                  name: 'Front desk',
                  description: 'Answers the main line and books appointments',
                  config: {
                    greeting: 'Thanks for calling Bayview Dental. How can I help you today?',
                    systemPrompt:
                      'You are the front desk of Bayview Dental. Answer briefly and book appointments.',
                    providers: {
                      asr: ['local:pocketsphinx'],
                      llm: ['local:answerer'],
                      tts: ['local:espeak'],
                    },
                    tools: [{ type: 'end_call' }],
                    knowledge: {
                      faq: [{ question: 'When are you open?', answer: 'Monday to Friday, 8 am to 6 pm.' }],
                    },
                  },
                  defaultInbound: true,
                  publish: true,
                },
              ],
            }),
          response: { 201: agentView, ...stdErrors },
        },
      },
      async (req, reply) => {
        if (req.body.runOnVapi) await assertVapi(ws(req));
        const a = await inBody(() => store.agents.create(ws(req), req.body, req.auth?.userId));
        await resync(req, a.id);
        return reply.status(201).send(viewAgent(a));
      },
    );

    app.get(
      '/agents/:id',
      {
        schema: {
          tags,
          summary: 'Get an agent',
          description:
            'The agent with its draft, its current published version number and whether the draft has ' +
            'unpublished changes. Any role; 404 when no agent of this workspace has the id.',
          params: idParams,
          response: { 200: agentView, ...stdErrors },
        },
      },
      async (req) => viewAgent(await store.agents.get(ws(req), req.params.id)),
    );

    app.patch(
      '/agents/:id',
      {
        schema: {
          tags,
          summary: 'Edit an agent',
          description:
            'Updates only the fields given. `config` is merged into the draft: objects merge key by key, arrays ' +
            'replace, null removes an optional field. Calls keep using the published version until you publish. ' +
            'Needs the member role. The merged draft is validated whole (400 naming the field, nothing ' +
            'stored); 404 for an unknown agent, 409 for a name already in use.',
          params: idParams,
          body: z
            .strictObject({
              name: name.optional(),
              description: description.optional(),
              config: z.record(z.string(), z.unknown()).optional().describe('partial AgentConfig'),
              defaultInbound: z.boolean().optional(),
              defaultOutbound: z.boolean().optional(),
              runOnVapi: runOnVapi.optional(),
            })
            .meta({
              examples: [
                {
                  config: {
                    greeting: 'Bayview Dental, this is the virtual front desk. How can I help?',
                    turnTaking: { endOfTurnSilenceMs: 900 },
                  },
                },
                { name: 'Front desk (after hours)', defaultInbound: false },
                { runOnVapi: false },
              ],
            }),
          response: { 200: agentView, ...stdErrors },
        },
      },
      async (req) => {
        if (req.body.runOnVapi) await assertVapi(ws(req));
        const a = await inBody(() => store.agents.update(ws(req), req.params.id, req.body));
        // Only this agent is synced again, and only if it runs (or ran) on Vapi.
        await resync(req, a.id);
        return viewAgent(await store.agents.get(ws(req), a.id));
      },
    );

    app.delete(
      '/agents/:id',
      {
        schema: {
          tags,
          summary: 'Delete an agent',
          description:
            'Deletes the agent with all its versions; needs the member role. Past calls stay, no longer ' +
            'linked to an agent, and numbers routed to it fall back to the default inbound agent. 409 while a ' +
            'campaign uses it; 404 when no agent of this workspace has the id.',
          params: idParams,
          response: { 204: z.null(), ...stdErrors },
        },
      },
      async (req, reply) => {
        await store.agents.delete(ws(req), req.params.id);
        await resync(req, req.params.id);
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/agents/:id/publish',
      {
        schema: {
          tags,
          summary: 'Publish the draft',
          description:
            'Freezes the draft into a new immutable version (numbered one past the highest) and makes it ' +
            'live: the next call uses it, no restart; calls in progress keep their version. Needs the member ' +
            'role. The body is optional. The draft is checked again (400 if a provider it names was deleted).',
          params: idParams,
          body: z
            .strictObject({ note: z.string().max(500).optional() })
            .nullish()
            .meta({ examples: [{ note: 'Opening hours in the FAQ' }] }),
          response: { 201: versionView, ...stdErrors },
        },
      },
      async (req, reply) => {
        const v = await inBody(() =>
          store.agents.publish(ws(req), req.params.id, { note: req.body?.note, userId: req.auth?.userId }),
        );
        await resync(req, req.params.id);
        return reply.status(201).send(viewVersion(v));
      },
    );

    app.post(
      '/agents/:id/rollback',
      {
        schema: {
          tags,
          summary: 'Roll back to an earlier version',
          description:
            'Publishes a copy of the given version as a new version (history is never rewritten) and makes ' +
            'it live for the next call; the draft is replaced by that configuration, so unpublished edits ' +
            'are dropped. The note defaults to "rollback to version N" and `sourceVersion` records N. Needs ' +
            'the member role; 404 for an unknown agent or version.',
          params: idParams,
          body: z
            .strictObject({ version: z.number().int().min(1), note: z.string().max(500).optional() })
            .meta({ examples: [{ version: 2, note: 'Version 3 greeting confused callers' }] }),
          response: { 201: versionView, ...stdErrors },
        },
      },
      async (req, reply) => {
        const v = await store.agents.rollback(ws(req), req.params.id, req.body.version, {
          note: req.body.note,
          userId: req.auth?.userId,
        });
        await resync(req, req.params.id);
        return reply.status(201).send(viewVersion(v));
      },
    );

    app.get(
      '/agents/:id/versions',
      {
        schema: {
          tags,
          summary: 'List published versions, newest first',
          description:
            "The agent's published versions, highest number first, 50 per page by default (`limit` up to " +
            '200); pass `nextCursor` back as `cursor` for older ones. Any role; 404 for an unknown agent.',
          params: idParams,
          querystring: z.strictObject(pageQuery),
          response: { 200: page(versionView), ...stdErrors },
        },
      },
      async (req) => {
        const r = await store.agents.listVersions(ws(req), req.params.id, req.query);
        return { data: r.data.map(viewVersion), nextCursor: r.nextCursor };
      },
    );

    app.get(
      '/agents/:id/versions/:version',
      {
        schema: {
          tags,
          summary: 'Get one published version',
          description:
            'One immutable version with its full configuration. Any role; 404 when it does not exist.',
          params: z.strictObject({ id: z.uuid(), version: z.coerce.number().int().min(1) }),
          response: { 200: versionView, ...stdErrors },
        },
      },
      async (req) => viewVersion(await store.agents.getVersion(ws(req), req.params.id, req.params.version)),
    );
  };
