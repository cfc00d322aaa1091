import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { ts } from './columns.js';
import { agents, calls, credentials, workspaces } from './schema.js';

/**
 * Results delivery: webhooks, the outbox written in the same transaction as the state change it
 * reports, and one delivery row per (event, target) that workers claim with a lease.
 */

export const WEBHOOK_FORMATS = ['switchboard', 'avr', 'external-updates'] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

export const webhooks = pgTable(
  'webhooks',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    /** Only this agent's calls; null for every call of the workspace. */
    agentId: uuid('agent_id').references(() => agents.id, { onDelete: 'cascade' }),
    url: text('url').notNull(),
    eventTypes: jsonb('event_types').$type<string[]>().notNull(),
    format: text('format', { enum: WEBHOOK_FORMATS }).notNull().default('switchboard'),
    /** The signing secret lives encrypted in credentials; deleting it while in use is refused. */
    secretCredentialId: uuid('secret_credential_id')
      .notNull()
      .references(() => credentials.id, { onDelete: 'restrict' }),
    description: text('description'),
    enabled: boolean('enabled').notNull().default(true),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    index('webhooks_ws_idx').on(t.workspaceId),
    check('webhooks_format_ck', sql`${t.format} in ('switchboard','avr','external-updates')`),
  ],
);

export const outbox = pgTable(
  'outbox',
  {
    /** The event id: the idempotency key receivers dedupe on. */
    id: uuid('id').primaryKey().defaultRandom(),
    /** Monotonic across the table; orders one call's events. */
    seq: bigserial('seq', { mode: 'number' }).notNull(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    callId: uuid('call_id')
      .notNull()
      .references(() => calls.id, { onDelete: 'cascade' }),
    type: text('type').notNull(),
    /** Switchboard's own `data`; other formats are derived from it at delivery time. */
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [uniqueIndex('outbox_seq_uq').on(t.seq), index('outbox_call_idx').on(t.callId, t.seq)],
);

export const DELIVERY_STATUSES = ['pending', 'delivered', 'dead'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];
export const DELIVERY_TARGETS = ['webhook', 'agent', 'mqtt'] as const;
export type DeliveryTarget = (typeof DELIVERY_TARGETS)[number];

export const deliveries = pgTable(
  'deliveries',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    eventId: uuid('event_id')
      .notNull()
      .references(() => outbox.id, { onDelete: 'cascade' }),
    /** Copied from the event so ordering and listing need no join. */
    seq: bigint('seq', { mode: 'number' }).notNull(),
    workspaceId: uuid('workspace_id').notNull(),
    callId: uuid('call_id').notNull(),
    type: text('type').notNull(),
    target: text('target', { enum: DELIVERY_TARGETS }).notNull(),
    /** `webhook:<id>`, `agent:<id>` or `mqtt`: events of one call reach one target in order. */
    targetKey: text('target_key').notNull(),
    webhookId: uuid('webhook_id').references(() => webhooks.id, { onDelete: 'cascade' }),
    /** For agent-config webhooks: the URL when the event happened. */
    url: text('url'),
    format: text('format', { enum: WEBHOOK_FORMATS }).notNull().default('switchboard'),
    status: text('status', { enum: DELIVERY_STATUSES }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: ts('next_attempt_at').notNull(),
    /** A claim is a lease: a worker that dies mid-delivery loses it when this passes. */
    leaseUntil: ts('lease_until'),
    leaseOwner: text('lease_owner'),
    lastStatus: integer('last_status'),
    lastError: text('last_error'),
    deliveredAt: ts('delivered_at'),
    /** Start of the retry window; a replay starts a new one. */
    retryFrom: ts('retry_from').notNull(),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('deliveries_event_target_uq').on(t.eventId, t.targetKey),
    index('deliveries_due_idx').on(t.nextAttemptAt).where(sql`${t.status} = 'pending'`),
    index('deliveries_order_idx').on(t.targetKey, t.callId, t.seq).where(sql`${t.status} = 'pending'`),
    index('deliveries_webhook_idx').on(t.webhookId, t.status, t.createdAt),
    index('deliveries_ws_status_idx').on(t.workspaceId, t.status, t.createdAt),
    check('deliveries_status_ck', sql`${t.status} in ('pending','delivered','dead')`),
    check('deliveries_target_ck', sql`${t.target} in ('webhook','agent','mqtt')`),
  ],
);

export const ANALYSIS_STATUSES = ['pending', 'done', 'failed'] as const;
export type AnalysisStatus = (typeof ANALYSIS_STATUSES)[number];

/**
 * Post-call analysis, one row per call: queued in the transaction that records call.ended (when the
 * agent asks for analysis), claimed by workers with a lease, and finished in the transaction that
 * writes call.analyzed to the outbox, so a crash between the two loses nothing.
 */
export const callAnalyses = pgTable(
  'call_analyses',
  {
    callId: uuid('call_id')
      .primaryKey()
      .references(() => calls.id, { onDelete: 'cascade' }),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    status: text('status', { enum: ANALYSIS_STATUSES }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: ts('next_attempt_at').notNull(),
    leaseUntil: ts('lease_until'),
    leaseOwner: text('lease_owner'),
    summary: text('summary'),
    fields: jsonb('fields').$type<Record<string, string | number | boolean | null>>(),
    /** The LLM reference that produced the result. */
    provider: text('provider'),
    lastError: text('last_error'),
    completedAt: ts('completed_at'),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [
    index('call_analyses_due_idx').on(t.nextAttemptAt).where(sql`${t.status} = 'pending'`),
    check('call_analyses_status_ck', sql`${t.status} in ('pending','done','failed')`),
  ],
);
