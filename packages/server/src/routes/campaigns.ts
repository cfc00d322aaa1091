import { validationFailed } from '@switchboard/core';
import {
  CAMPAIGN_STATUSES,
  type Campaign,
  type CampaignContact,
  CampaignService,
  CONTACT_STATUSES,
  listContacts,
  parseContactsCsv,
  type RawContact,
} from '@switchboard/dialer';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../deps.js';
import { ws } from '../plugins/auth.js';
import { e164, idParams, json, PAGED, page, pageQuery, stdErrors, timestamp } from '../schemas.js';
import { namedUnionValidatorCompiler } from '../union-errors.js';
import { acceptCsvBodies } from './campaign-uploads.js';

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM (24 h)');
const callingWindow = z
  .strictObject({
    timeZone: z.string().min(1).max(64),
    days: z.array(z.number().int().min(1).max(7)).min(1).max(7),
    start: hhmm,
    end: hhmm,
  })
  .meta({ id: 'CallingWindow', description: 'Local times in an IANA zone; days are ISO (1 = Monday).' });
const retry = z.strictObject({
  maxAttempts: z.number().int().min(1).max(20).optional(),
  busyDelaySeconds: z
    .number()
    .int()
    .min(0)
    .max(7 * 86400)
    .optional(),
  noAnswerDelaySeconds: z
    .number()
    .int()
    .min(0)
    .max(7 * 86400)
    .optional(),
  retryFailed: z.boolean().optional(),
  failedDelaySeconds: z
    .number()
    .int()
    .min(0)
    .max(7 * 86400)
    .optional(),
});
const breaker = z.strictObject({
  window: z.number().int().min(1).max(1000).optional(),
  failureRatio: z.number().gt(0).max(1).optional(),
});
const contactIn = z.object({
  phone: z.string().max(40),
  variables: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  agentOverrides: z
    .record(z.string(), z.unknown())
    .optional()
    .describe(
      "Agent fields for this contact's calls only, merged into the published version and validated like " +
        'the agent document (400 naming `body.contacts.<n>.agentOverrides.<field>`); JSON contacts only',
    ),
});
const settings = {
  agentId: z.uuid(),
  name: z.string().min(1).max(200),
  callerId: z
    .string()
    .min(1)
    .max(100)
    .describe("A number the workspace owns, or a caller-ID pool's id or name (its numbers are used in turn)"),
  maxConcurrency: z.number().int().min(1).max(1000).optional(),
  callingWindow: callingWindow.nullable().optional(),
  retry: retry.optional(),
  breaker: breaker.optional(),
};

/** The agent the examples name; the API reference test stands the agent its examples created in for it. */
const EXAMPLE_AGENT_ID = '0f8b7c3e-2d4a-4b6e-9c1d-5e7f8a9b0c1d';
const exampleContacts = [
  { phone: '+14155552671', variables: { firstName: 'Maria', appointmentTime: 'Thursday at 10:30' } },
  {
    phone: '+14155552672',
    variables: { firstName: 'James', appointmentTime: 'Friday at 14:00' },
    agentOverrides: { voice: 'en-GB', greeting: 'Good afternoon {{firstName}}, this is the clinic.' },
  },
];

const campaignView = z
  .object({
    id: z.uuid(),
    agentId: z.uuid(),
    name: z.string(),
    status: z.enum(CAMPAIGN_STATUSES),
    pausedReason: z.string().nullable(),
    callerId: z.string(),
    maxConcurrency: z.number().int(),
    callingWindow: callingWindow.nullable(),
    retry: z.record(z.string(), z.union([z.number(), z.boolean()])),
    breaker: z.object({ window: z.number(), failureRatio: z.number() }),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({
    id: 'Campaign',
    examples: [
      {
        id: '1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5b',
        agentId: EXAMPLE_AGENT_ID,
        name: 'March appointment reminders',
        status: 'active',
        pausedReason: null,
        callerId: '+14155550123',
        maxConcurrency: 5,
        callingWindow: {
          timeZone: 'America/Los_Angeles',
          days: [1, 2, 3, 4, 5],
          start: '09:00',
          end: '18:00',
        },
        retry: {
          maxAttempts: 3,
          busyDelaySeconds: 300,
          noAnswerDelaySeconds: 1800,
          retryFailed: false,
          failedDelaySeconds: 600,
        },
        breaker: { window: 20, failureRatio: 0.8 },
        createdAt: '2026-03-01T17:20:44.902Z',
        updatedAt: '2026-03-01T17:20:44.902Z',
      },
    ],
  });
const progressView = z.object({
  contacts: z.object({
    total: z.number(),
    pending: z.number(),
    queued: z.number(),
    done: z.number(),
    cancelled: z.number(),
  }),
  inProgress: z.number(),
  attempts: z.number(),
  outcomes: z.record(z.string(), z.number()),
});
const importView = z
  .object({
    received: z.number(),
    added: z.number(),
    duplicates: z.number(),
    errors: z.array(z.object({ row: z.number(), field: z.string(), message: z.string() })),
  })
  .meta({
    id: 'ContactImport',
    examples: [
      {
        received: 3,
        added: 2,
        duplicates: 0,
        errors: [{ row: 3, field: 'phone', message: 'not a valid E.164 phone number' }],
      },
    ],
  });
const contactView = z.object({
  id: z.uuid(),
  rowNumber: z.number(),
  phone: z.string(),
  variables: z.record(z.string(), z.string()),
  agentOverrides: z.record(z.string(), z.unknown()).nullable(),
  status: z.enum(CONTACT_STATUSES),
  attempts: z.number(),
  lastOutcome: z.string().nullable(),
  lastCallId: z.uuid().nullable(),
  nextAttemptAt: timestamp,
  createdAt: timestamp,
});

const view = ({ workspaceId: _w, ...c }: Campaign) => json(c);
const contact = ({ workspaceId: _w, campaignId: _c, updatedAt: _u, ...c }: CampaignContact) => json(c);
const isValidPhone = (v: string) => e164.safeParse(v).success;
/** A CSV body carries no settings: they come in the query string, each one named when missing. */
function csvSettings(query: unknown) {
  const r = z.object(settings).safeParse(query);
  if (r.success) return r.data;
  throw validationFailed(
    'a CSV body needs the campaign settings in the query string',
    r.error.issues.map((i) => ({ path: ['querystring', ...i.path].join('.'), message: i.message })),
  );
}
const rawContacts = (
  body: string | { contacts?: z.infer<typeof contactIn>[] | undefined },
  firstRow?: number,
): RawContact[] => (typeof body === 'string' ? parseContactsCsv(body, firstRow) : (body.contacts ?? []));

export const campaignRoutes =
  ({ store }: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    acceptCsvBodies(app);
    // Bodies here are JSON or CSV text (a union): report the JSON's own field errors.
    app.setValidatorCompiler(namedUnionValidatorCompiler);
    const tags = ['campaigns'];
    const campaigns = new CampaignService(store);

    app.post(
      '/campaigns',
      {
        schema: {
          tags,
          summary: 'Create a campaign',
          description:
            'JSON with the settings and optional `contacts`, or a CSV (`text/csv` or a multipart file; a `phone` ' +
            'column plus one column per variable) with the settings in the query string. Invalid rows are ' +
            'reported by row and field; the valid ones are added, in the same transaction that creates the ' +
            'campaign. A campaign created without contacts waits for them (`POST /campaigns/{id}/contacts`). ' +
            'With a CSV only `agentId`, `name`, `callerId` and `maxConcurrency` can be given (in the query ' +
            'string; a missing one is a 400 naming `querystring.<field>`); set the calling window, retry and ' +
            'breaker afterwards with `PATCH /campaigns/{id}`. Needs the member role. `agentId` must be a ' +
            'published agent of the workspace and `callerId` a number or caller-ID pool it owns (400 ' +
            'otherwise); every variable the agent uses without a default is required on each contact. At most ' +
            '10,000 contacts per request. Defaults: `maxConcurrency` 5, retry 3 attempts (busy after 5 min, ' +
            'no answer after 30 min, failed calls not retried), breaker pauses the campaign when at least 80% of the ' +
            'last 20 ended calls failed. The campaign is `active` from creation: the dialer calls its contacts, inside the calling window ' +
            'if there is one.',
          querystring: z.strictObject({
            agentId: z.uuid().optional(),
            name: z.string().min(1).max(200).optional(),
            callerId: z.string().min(1).max(100).optional(),
            maxConcurrency: z.coerce.number().int().min(1).max(1000).optional(),
          }),
          body: z
            .union([z.strictObject({ ...settings, contacts: z.array(contactIn).optional() }), z.string()])
            .meta({
              examples: [
                {
                  agentId: EXAMPLE_AGENT_ID,
                  name: 'March appointment reminders',
                  callerId: '+14155550123',
                  maxConcurrency: 5,
                  callingWindow: {
                    timeZone: 'America/Los_Angeles',
                    days: [1, 2, 3, 4, 5],
                    start: '09:00',
                    end: '18:00',
                  },
                  retry: { maxAttempts: 4, noAnswerDelaySeconds: 3600 },
                  contacts: exampleContacts,
                },
              ],
            }),
          response: { 201: z.object({ campaign: campaignView, import: importView }), ...stdErrors },
        },
      },
      async (req, reply) => {
        const b = req.body;
        const csv = typeof b === 'string';
        const s = csv ? csvSettings(req.query) : b;
        const { campaign, import: result } = await campaigns.createWithContacts(ws(req), s, rawContacts(b), {
          isValidPhone,
          settingsIn: csv ? 'querystring' : 'body',
        });
        return reply.status(201).send({ campaign: view(campaign), import: result });
      },
    );

    app.get(
      '/campaigns',
      {
        schema: {
          tags,
          summary: 'List campaigns, newest first',
          description: "The workspace's campaigns for any role; filter by `status`. " + PAGED,
          querystring: z.strictObject({ ...pageQuery, status: z.enum(CAMPAIGN_STATUSES).optional() }),
          response: { 200: page(campaignView), ...stdErrors },
        },
      },
      async (req) => {
        const r = await campaigns.repo.list(ws(req), req.query);
        return { data: r.data.map(view), nextCursor: r.nextCursor };
      },
    );

    app.get(
      '/campaigns/:id',
      {
        schema: {
          tags,
          summary: 'Get a campaign with its progress and per-outcome counts',
          description:
            'For any role; 404 for an unknown campaign. `progress` counts contacts by status, calls in ' +
            'progress, attempts made and calls by outcome. `windowOpensAt`: when the calling window next opens, while it is closed (contacts due meanwhile ' +
            'are called from then on); null while it is open or when the campaign has none. `pausedReason` ' +
            'says why a paused campaign stopped, e.g. its circuit breaker.',
          params: idParams,
          response: {
            200: campaignView.extend({ windowOpensAt: timestamp.nullable(), progress: progressView }),
            ...stdErrors,
          },
        },
      },
      async (req) => {
        const c = await campaigns.repo.get(ws(req), req.params.id);
        return {
          ...view(c),
          windowOpensAt: campaigns.windowOpensAt(c)?.toISOString() ?? null,
          progress: await campaigns.repo.stats(ws(req), req.params.id),
        };
      },
    );

    app.patch(
      '/campaigns/:id',
      {
        schema: {
          tags,
          summary: 'Edit a campaign',
          description:
            'Needs the member role. Changes only the fields given; `retry` and `breaker` change only the fields ' +
            'given inside them, and `callingWindow: null` removes the window. An unknown time zone or an empty ' +
            'window (end equals start) is a 400. A refused edit changes nothing. Contacts already waiting for ' +
            'a retry keep the time they were given. 404 for an unknown campaign.',
          params: idParams,
          body: z
            .strictObject({
              name: settings.name.optional(),
              maxConcurrency: settings.maxConcurrency,
              callingWindow: settings.callingWindow,
              retry: settings.retry,
              breaker: settings.breaker,
            })
            .meta({
              examples: [
                { maxConcurrency: 10, retry: { retryFailed: true, failedDelaySeconds: 900 } },
                { callingWindow: null, breaker: { failureRatio: 0.5 } },
              ],
            }),
          response: { 200: campaignView, ...stdErrors },
        },
      },
      async (req) => view(await campaigns.update(ws(req), req.params.id, req.body)),
    );

    app.post(
      '/campaigns/:id/contacts',
      {
        schema: {
          tags,
          summary: 'Add contacts (CSV or JSON)',
          description:
            'JSON `{ contacts }`, or a CSV (`text/csv` or a multipart file) with a `phone` column and one ' +
            'column per variable. Needs the member role; 404 for an unknown campaign. Invalid rows are reported ' +
            'in `errors` by row and field and the valid ones added; at most 10,000 contacts per request, so send ' +
            'longer lists in chunks. Rows are numbered from `firstRow` (default 1); a row number the campaign already has is skipped, so a ' +
            're-sent chunk adds nothing twice. A campaign completes once every contact it has is done or ' +
            'cancelled; contacts added to a completed campaign make it active again. A cancelled campaign ' +
            'takes no more contacts (409).',
          params: idParams,
          querystring: z.strictObject({ firstRow: z.coerce.number().int().min(1).optional() }),
          body: z.union([z.strictObject({ contacts: z.array(contactIn) }), z.string()]).meta({
            examples: [
              {
                contacts: [
                  {
                    phone: '+14155552673',
                    variables: { firstName: 'Aiko', appointmentTime: 'Monday at 09:15' },
                  },
                ],
              },
            ],
          }),
          response: { 200: importView, ...stdErrors },
        },
      },
      async (req) =>
        campaigns.importContacts(ws(req), req.params.id, rawContacts(req.body, req.query.firstRow), {
          firstRow: req.query.firstRow,
          isValidPhone,
        }),
    );

    app.get(
      '/campaigns/:id/contacts',
      {
        schema: {
          tags,
          summary: "List a campaign's contacts",
          description:
            'For any role: each contact with its status (`pending`, `queued`, `done`, `cancelled`), attempts, ' +
            'last outcome and call, and when it is next due; filter by `status`. 404 for an unknown campaign. ' +
            PAGED,
          params: idParams,
          querystring: z.strictObject({ ...pageQuery, status: z.enum(CONTACT_STATUSES).optional() }),
          response: { 200: page(contactView), ...stdErrors },
        },
      },
      async (req) => {
        await campaigns.repo.get(ws(req), req.params.id);
        const r = await listContacts(store.database.db, ws(req), req.params.id, req.query);
        return { data: r.data.map(contact), nextCursor: r.nextCursor };
      },
    );

    const action = (name: 'pause' | 'resume' | 'cancel', summary: string, description: string) =>
      app.post(
        `/campaigns/:id/${name}`,
        {
          schema: {
            tags,
            summary,
            description: `Needs the member role; 404 for an unknown campaign. ${description}`,
            params: idParams,
            response: { 200: campaignView, ...stdErrors },
          },
        },
        async (req) => {
          const now = new Date();
          if (name === 'pause')
            return view(await campaigns.repo.pause(ws(req), req.params.id, 'paused by request', now));
          if (name === 'resume') return view(await campaigns.repo.resume(ws(req), req.params.id, now));
          return view(await campaigns.repo.cancel(ws(req), req.params.id, now));
        },
      );
    action(
      'pause',
      'Pause: calls not dialled yet are withdrawn; calls in progress finish',
      '`pausedReason` becomes `paused by request`; nothing more is dialled until it is resumed. A cancelled ' +
        'or completed campaign is a 409.',
    );
    action(
      'resume',
      'Resume a paused campaign (its circuit breaker counts only calls made from now on); also reopens a ' +
        'campaign marked completed while some of its contacts were never called',
      'Dialling picks up where it stopped, inside the calling window. Any other campaign is a 409.',
    );
    action(
      'cancel',
      'Cancel: queued contacts stop; calls in progress finish',
      'Contacts still to be called, and those whose call was not dialled yet, become `cancelled`; the ' +
        'campaign takes no more contacts. Final: a cancelled campaign cannot be resumed. Cancelling it ' +
        'again answers it unchanged.',
    );
  };
