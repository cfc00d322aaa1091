import { sql } from 'drizzle-orm';
import {
  type AnyPgColumn,
  bigserial,
  check,
  foreignKey,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  uuid,
} from 'drizzle-orm/pg-core';
import { ts } from './columns.js';
import { workspaces } from './schema.js';

/**
 * A workspace's Home Assistant: the connection (its token sealed like every credential), the
 * registries synced from it (devices, entities, services), the entities' current state and a
 * bounded history of state changes. Registry rows are keyed by Home Assistant's own ids within a
 * workspace, so a sync (pushed or pulled) is an upsert and running it twice changes nothing.
 */

export const HA_CONNECTION_STATUSES = [
  'connecting',
  'connected',
  'disconnected',
  'auth_failed',
  'error',
] as const;
export type HaConnectionStatus = (typeof HA_CONNECTION_STATUSES)[number];

export const haConnections = pgTable(
  'ha_connections',
  {
    workspaceId: uuid('workspace_id')
      .primaryKey()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    /** The instance's base URL, e.g. `http://homeassistant.local:8123`. */
    url: text('url').notNull(),
    /** The long-lived access token, sealed with the master key (bound to the workspace). */
    ciphertext: text('ciphertext').notNull(),
    hint: text('hint').notNull(),
    /** State changes older than this are deleted. */
    historyRetentionDays: integer('history_retention_days').notNull().default(7),
    status: text('status', { enum: HA_CONNECTION_STATUSES }).notNull().default('connecting'),
    lastError: text('last_error'),
    haVersion: text('ha_version'),
    lastSyncedAt: ts('last_synced_at'),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    check(
      'ha_connections_status_ck',
      sql`${t.status} in ('connecting','connected','disconnected','auth_failed','error')`,
    ),
    check('ha_connections_retention_ck', sql`${t.historyRetentionDays} between 1 and 3650`),
  ],
);

export const haDevices = pgTable(
  'ha_devices',
  {
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    id: text('id').notNull(),
    /** `name_by_user`, else `name`, else manufacturer and model: never empty. */
    friendlyName: text('friendly_name').notNull(),
    name: text('name'),
    nameByUser: text('name_by_user'),
    manufacturer: text('manufacturer'),
    model: text('model'),
    swVersion: text('sw_version'),
    areaId: text('area_id'),
    /** The hub this device talks through; null when Home Assistant named one this workspace lacks. */
    viaDeviceId: text('via_device_id'),
    disabledBy: text('disabled_by'),
    /** The record as Home Assistant sent it (its schema keeps changing). */
    raw: jsonb('raw').$type<Record<string, unknown>>().notNull(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: 'ha_devices_pkey', columns: [t.workspaceId, t.id] }),
    foreignKey({
      name: 'ha_devices_via_fk',
      columns: [t.workspaceId, t.viaDeviceId],
      foreignColumns: [t.workspaceId, t.id],
    }),
  ],
);

export const haEntities = pgTable(
  'ha_entities',
  {
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    entityId: text('entity_id').notNull(),
    domain: text('domain').notNull(),
    /** The entity registry's own id; null for entities known only from their state. */
    registryId: text('registry_id'),
    uniqueId: text('unique_id'),
    platform: text('platform'),
    deviceId: text('device_id'),
    areaId: text('area_id'),
    name: text('name'),
    originalName: text('original_name'),
    /** What a person calls it: the registry name, the state's friendly_name, else derived from the id. */
    friendlyName: text('friendly_name').notNull(),
    disabledBy: text('disabled_by'),
    hiddenBy: text('hidden_by'),
    entityCategory: text('entity_category'),
    /** The registry record as sent; null for entities known only from their state. */
    registry: jsonb('registry').$type<Record<string, unknown>>(),
    state: text('state'),
    attributes: jsonb('attributes').$type<Record<string, unknown>>(),
    lastChanged: ts('last_changed'),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: 'ha_entities_pkey', columns: [t.workspaceId, t.entityId] }),
    foreignKey({
      name: 'ha_entities_device_fk',
      columns: [t.workspaceId, t.deviceId],
      foreignColumns: [haDevices.workspaceId, haDevices.id] as [AnyPgColumn, AnyPgColumn],
    }),
    index('ha_entities_domain_idx').on(t.workspaceId, t.domain),
  ],
);

export const haServices = pgTable(
  'ha_services',
  {
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    domain: text('domain').notNull(),
    service: text('service').notNull(),
    name: text('name'),
    description: text('description'),
    fields: jsonb('fields').$type<Record<string, unknown>>().notNull().default({}),
    target: jsonb('target').$type<Record<string, unknown>>(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ name: 'ha_services_pkey', columns: [t.workspaceId, t.domain, t.service] })],
);

export const haStateHistory = pgTable(
  'ha_state_history',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    entityId: text('entity_id').notNull(),
    state: text('state'),
    attributes: jsonb('attributes').$type<Record<string, unknown>>(),
    changedAt: ts('changed_at').notNull(),
  },
  (t) => [
    index('ha_state_history_entity_idx').on(t.workspaceId, t.entityId, t.changedAt),
    index('ha_state_history_age_idx').on(t.changedAt),
  ],
);
