import { AppError } from '@switchboard/core';
import { devicesFrom, entitiesFrom, RecordError, servicesFrom, statesFrom } from '@switchboard/integrations';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../deps.js';
import { ws } from '../plugins/auth.js';
import { stdErrors, timestamp } from '../schemas.js';

const upserted = z
  .object({
    success: z.literal(true),
    upserted: z.number().int().describe('records stored (a record repeated in the batch counts once)'),
    timestamp,
  })
  .meta({
    id: 'BulkUpsertResult',
    examples: [{ success: true, upserted: 2, timestamp: '2026-03-02T10:15:04.220Z' }],
  });

const record = z.record(z.string(), z.unknown());
export const BULK_BODY_LIMIT_BYTES = 32 * 1_048_576;
const records = z.array(record).max(20_000);

const AUTH =
  'Bodies up to 32 MiB. Send the internal token (`X-Internal-Token`, naming the workspace in `X-Workspace-Id`) or a workspace API ' +
  'key with the member role or higher (`Authorization: Bearer`). ';

/** Reads records, turning a bad one into a 400 that names it. */
function read<T>(body: unknown, parse: (b: unknown) => T): T {
  try {
    return parse(body);
  } catch (e) {
    if (e instanceof RecordError) {
      throw new AppError('validation_failed', e.message, {
        details: [{ path: `body${e.path.startsWith('[') ? '' : '.'}${e.path}`, message: e.message }],
      });
    }
    throw e;
  }
}

/**
 * Registry sync by push, for Home Assistant add-ons that post the registries themselves. Every
 * route is an idempotent upsert keyed by Home Assistant's ids; references to a device the workspace
 * does not have are stored as null rather than refused.
 */
export const homeSyncRoutes =
  ({ store }: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['home-assistant'];
    const config = { auth: 'internal-or-key' as const, role: 'member' as const };
    // A large house's registry is several megabytes of JSON.
    const bodyLimit = BULK_BODY_LIMIT_BYTES;
    const done = (n: number) => ({
      success: true as const,
      upserted: n,
      timestamp: new Date().toISOString(),
    });

    app.post(
      '/devices/bulk_upsert',
      {
        config,
        bodyLimit,
        schema: {
          tags,
          summary: 'Push Home Assistant device registry records',
          description:
            AUTH +
            'The body is a bare array of device registry records as `config/device_registry/list` returns them ' +
            '(`id` required; `name`, `name_by_user`, `manufacturer`, `model`, `via_device_id`… read when present, ' +
            'the whole record kept). Hubs are stored before the devices behind them; a `via_device_id` naming a ' +
            'device neither in the batch nor stored is stored as null. A device without a name is named from ' +
            '`name_by_user`, `name`, else manufacturer and model. Posting the same records again changes nothing.',
          body: records.meta({
            examples: [
              [
                {
                  id: 'hub01',
                  name: 'Home hub',
                  manufacturer: 'Acme Home',
                  model: 'Hub 2',
                  via_device_id: null,
                },
                {
                  id: 'garage01',
                  name: null,
                  name_by_user: 'Garage door opener',
                  manufacturer: 'Acme Home',
                  model: 'GDO 3',
                  via_device_id: 'hub01',
                },
              ],
            ],
          }),
          response: { 200: upserted, ...stdErrors },
        },
      },
      async (req) => done(await store.home.upsertDevices(ws(req), read(req.body, devicesFrom))),
    );

    app.post(
      '/entities/bulk_upsert',
      {
        config,
        bodyLimit,
        schema: {
          tags,
          summary: 'Push Home Assistant entity registry records',
          description:
            AUTH +
            'The body is a bare array of entity registry records as `config/entity_registry/list` returns them ' +
            '(`entity_id` required, like `light.kitchen`). A `device_id` naming a device the workspace does not ' +
            'have is stored as null, so push devices first. The name the agent uses is the registry `name`, ' +
            "else `original_name`, else the state's `friendly_name`, else one derived from the entity id " +
            '(`light.kitchen_ceiling` → "Kitchen ceiling"). States already stored are kept.',
          body: records.meta({
            examples: [
              [
                {
                  entity_id: 'cover.garage_door',
                  id: 'a1b2c3',
                  unique_id: 'acme-gdo-1',
                  platform: 'acme',
                  device_id: 'garage01',
                  name: null,
                  original_name: 'Garage door',
                },
                { entity_id: 'light.kitchen_ceiling', platform: 'hue', device_id: null },
              ],
            ],
          }),
          response: { 200: upserted, ...stdErrors },
        },
      },
      async (req) => done(await store.home.upsertEntities(ws(req), read(req.body, entitiesFrom))),
    );

    app.post(
      '/services/bulk_upsert',
      {
        config,
        bodyLimit,
        schema: {
          tags,
          summary: 'Push Home Assistant services',
          description:
            AUTH +
            "The body is `get_services`'s shape: `{domain: {service: {name, description, fields, target}}}`. " +
            'Domains and service names are lower-case letters, digits and `_`; `upserted` counts services.',
          body: z.record(z.string(), z.record(z.string(), z.unknown())).meta({
            examples: [
              {
                light: {
                  turn_on: { name: 'Turn on', description: 'Turns on one or more lights.', fields: {} },
                  turn_off: { name: 'Turn off', fields: {} },
                },
                cover: { open_cover: { name: 'Open', fields: {} } },
              },
            ],
          }),
          response: { 200: upserted, ...stdErrors },
        },
      },
      async (req) => done(await store.home.upsertServices(ws(req), read(req.body, servicesFrom))),
    );

    app.post(
      '/states/bulk_upsert',
      {
        config,
        bodyLimit,
        schema: {
          tags,
          summary: 'Push Home Assistant states',
          description:
            AUTH +
            'The body is a bare array of state objects as `get_states` (or REST `/api/states`) returns them ' +
            '(`entity_id`, `state`, `attributes`, `last_changed`). Entities not in the registry are created ' +
            'from their state; every state is also appended to the state history.',
          body: records.meta({
            examples: [
              [
                {
                  entity_id: 'cover.garage_door',
                  state: 'open',
                  attributes: { friendly_name: 'Garage door', device_class: 'garage' },
                  last_changed: '2026-03-02T07:41:19.501Z',
                },
              ],
            ],
          }),
          response: { 200: upserted, ...stdErrors },
        },
      },
      async (req) => done(await store.home.setStates(ws(req), read(req.body, statesFrom), { history: true })),
    );
  };
