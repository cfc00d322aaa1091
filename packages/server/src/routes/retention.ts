import { validationFailed } from '@switchboard/core';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { applyRetention, eraseCall } from '../calls/call-data-retention.js';
import type { AppDeps } from '../deps.js';
import { ws } from '../plugins/auth.js';
import { idParams, json, stdErrors, timestamp } from '../schemas.js';
import { callJson, callView } from './calls.js';

const days = z
  .number()
  .int()
  .min(1)
  .max(36_500)
  .nullable()
  .describe('days after a call ended; null keeps it forever');

const retentionView = z
  .object({
    recordingsDays: days.describe('Recording files: days kept after the call ended; null = forever'),
    transcriptsDays: days.describe(
      'Transcripts (the `transcript.*` events and the transcript inside `call.ended`): days kept; null = forever',
    ),
    eventsDays: days.describe(
      'Every call event, per-turn latencies and delivered webhook events: days kept; null = forever',
    ),
    updatedAt: timestamp.nullable().describe('Last change; null while nothing was ever set'),
  })
  .meta({
    id: 'Retention',
    examples: [
      { recordingsDays: 30, transcriptsDays: 90, eventsDays: 365, updatedAt: '2026-03-02T10:05:01.220Z' },
    ],
  });

const sweepView = z
  .object({
    dryRun: z.boolean(),
    ran: z
      .boolean()
      .describe('False when another process was applying retention at that moment: nothing was done'),
    recordings: z.number().int().describe('Calls whose recording was (or would be) deleted'),
    transcripts: z.number().int().describe('Calls whose transcript was (or would be) deleted'),
    events: z.number().int().describe('Calls whose events were (or would be) deleted'),
  })
  .meta({
    id: 'RetentionRun',
    examples: [{ dryRun: true, ran: true, recordings: 412, transcripts: 37, events: 0 }],
  });

/** Per-workspace retention settings, applying them on demand, and erasing one call's data. */
export const retentionRoutes =
  ({ store, config, logger }: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['retention'];
    const admin = { role: 'admin' as const };

    app.get(
      '/retention',
      {
        config: admin,
        schema: {
          tags,
          summary: "The workspace's retention settings",
          description:
            'How many days after a call ended its recording, transcript and events are kept; null keeps ' +
            'them forever (the default). A daily job deletes what is older. Needs the admin or owner role.',
          response: { 200: retentionView, ...stdErrors },
        },
      },
      async (req) => json(await store.retention.get(ws(req))),
    );

    app.patch(
      '/retention',
      {
        config: admin,
        schema: {
          tags,
          summary: 'Change the retention settings',
          description:
            'Sets the fields given (days, 1 to 36500, or null to keep forever); the others keep their value. ' +
            'Takes effect at the next daily run, or at once with `POST /v1/retention/run`. Needs the admin ' +
            'or owner role.',
          body: z
            .strictObject({
              recordingsDays: days.optional(),
              transcriptsDays: days.optional(),
              eventsDays: days.optional(),
            })
            .meta({ examples: [{ recordingsDays: 30, transcriptsDays: 90 }, { eventsDays: null }] }),
          response: { 200: retentionView, ...stdErrors },
        },
      },
      async (req) => {
        if (Object.keys(req.body).length === 0) {
          throw validationFailed('nothing to change', [
            { path: 'body', message: 'give recordingsDays, transcriptsDays or eventsDays' },
          ]);
        }
        const patch = Object.fromEntries(Object.entries(req.body).filter(([, v]) => v !== undefined));
        return json(await store.retention.set(ws(req), patch));
      },
    );

    app.post(
      '/retention/run',
      {
        config: admin,
        schema: {
          tags,
          summary: "Apply the workspace's retention now, or count what it would delete",
          description:
            "Applies this workspace's settings at once, as the daily job does. With `dryRun: true`, nothing " +
            'is deleted: the answer counts the calls whose recording, transcript and events would be. Needs ' +
            'the admin or owner role.',
          body: z
            .strictObject({ dryRun: z.boolean().describe('count only, delete nothing') })
            .meta({ examples: [{ dryRun: true }] }),
          response: { 200: sweepView, ...stdErrors },
        },
      },
      async (req) =>
        applyRetention(store, {
          dataDir: config.DATA_DIR,
          logger,
          dryRun: req.body.dryRun,
          workspaceId: ws(req),
        }),
    );

    app.post(
      '/calls/:id/erase',
      {
        config: admin,
        schema: {
          tags: ['calls'],
          summary: "Erase one call's data",
          description:
            "Deletes the call's transcript, events, latencies, analysis, webhook events not yet delivered " +
            'and its recording file, and blanks its numbers, variables and agent document. The call row ' +
            'stays as a tombstone (ids, status, outcome and times, with `erasedAt` set), so lists and ' +
            'counts still add up. A call that has not ended is a 409; 404 when no call of this workspace ' +
            'has the id. Erasing again changes nothing. Needs the admin or owner role.',
          params: idParams,
          response: { 200: callView, ...stdErrors },
        },
      },
      async (req) =>
        callJson(
          await eraseCall(store, {
            dataDir: config.DATA_DIR,
            logger,
            workspaceId: ws(req),
            callId: req.params.id,
          }),
        ),
    );
  };
