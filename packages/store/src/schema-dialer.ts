import { sql } from 'drizzle-orm';
import {
  bigserial,
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
import { agents, calls, workspaces } from './schema.js';

/**
 * Outbound dialing: campaigns and their contacts, the leases that hold concurrency slots, the
 * per-number dispatch log that enforces calls per second, caller-ID pools and workspace limits.
 * Progress is always derived from contact and call state; nothing here is a counter.
 */

export const CAMPAIGN_STATUSES = ['active', 'paused', 'cancelled', 'completed'] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

export interface CallingWindow {
  /** IANA time zone, e.g. `America/New_York`. */
  timeZone: string;
  /** ISO weekdays allowed: 1 = Monday … 7 = Sunday. */
  days: number[];
  /** Local `HH:MM`, inclusive. */
  start: string;
  /** Local `HH:MM`, exclusive; earlier than `start` means the window runs past midnight. */
  end: string;
}

export interface RetryPolicy {
  /** Attempts per contact, the first one included. */
  maxAttempts: number;
  busyDelaySeconds: number;
  noAnswerDelaySeconds: number;
  /** Failed calls (carrier or platform errors) are retried only when this is set. */
  retryFailed: boolean;
  failedDelaySeconds: number;
}

export interface CircuitBreaker {
  /** How many of the most recent ended calls are looked at. */
  window: number;
  /** Pause when at least this share of them failed. */
  failureRatio: number;
}

export const campaigns = pgTable(
  'campaigns',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    agentId: uuid('agent_id')
      .notNull()
      .references(() => agents.id, { onDelete: 'restrict' }),
    name: text('name').notNull(),
    status: text('status', { enum: CAMPAIGN_STATUSES }).notNull().default('active'),
    pausedReason: text('paused_reason'),
    /** An owned E.164 number or a caller-ID pool name. */
    callerId: text('caller_id').notNull(),
    maxConcurrency: integer('max_concurrency').notNull().default(5),
    callingWindow: jsonb('calling_window').$type<CallingWindow>(),
    retry: jsonb('retry').$type<RetryPolicy>().notNull(),
    breaker: jsonb('breaker').$type<CircuitBreaker>().notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('campaigns_name_uq').on(t.workspaceId, t.name),
    index('campaigns_status_idx').on(t.status),
    check('campaigns_status_ck', sql`${t.status} in ('active','paused','cancelled','completed')`),
    check('campaigns_concurrency_ck', sql`${t.maxConcurrency} between 1 and 1000`),
  ],
);

/** `pending`: waits for `next_attempt_at`; `queued`: its call exists and has not ended. */
export const CONTACT_STATUSES = ['pending', 'queued', 'done', 'cancelled'] as const;
export type ContactStatus = (typeof CONTACT_STATUSES)[number];

export const campaignContacts = pgTable(
  'campaign_contacts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    campaignId: uuid('campaign_id')
      .notNull()
      .references(() => campaigns.id, { onDelete: 'cascade' }),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    /** The row in the uploaded file (1 = first data row): re-uploading a chunk adds nothing twice. */
    rowNumber: integer('row_number').notNull(),
    phone: text('phone').notNull(),
    variables: jsonb('variables').$type<Record<string, string>>().notNull().default({}),
    /** Agent fields for this contact's calls only, merged into the published version. */
    agentOverrides: jsonb('agent_overrides').$type<Record<string, unknown>>(),
    status: text('status', { enum: CONTACT_STATUSES }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    lastOutcome: text('last_outcome'),
    lastCallId: uuid('last_call_id'),
    nextAttemptAt: ts('next_attempt_at').notNull().defaultNow(),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('campaign_contacts_row_uq').on(t.campaignId, t.rowNumber),
    index('campaign_contacts_due_idx').on(t.campaignId, t.status, t.nextAttemptAt),
    index('campaign_contacts_call_idx').on(t.lastCallId),
    check('campaign_contacts_status_ck', sql`${t.status} in ('pending','queued','done','cancelled')`),
  ],
);

/**
 * One row per call holding concurrency slots. The running call renews `expires_at`; a crashed
 * worker stops renewing and any process's sweeper ends the call and frees the slot.
 */
export const dialerLeases = pgTable(
  'dialer_leases',
  {
    callId: uuid('call_id')
      .primaryKey()
      .references(() => calls.id, { onDelete: 'cascade' }),
    workspaceId: uuid('workspace_id').notNull(),
    campaignId: uuid('campaign_id'),
    holder: text('holder').notNull(),
    acquiredAt: ts('acquired_at').notNull(),
    expiresAt: ts('expires_at').notNull(),
  },
  (t) => [
    index('dialer_leases_ws_idx').on(t.workspaceId),
    index('dialer_leases_campaign_idx').on(t.campaignId),
    index('dialer_leases_expiry_idx').on(t.expiresAt),
  ],
);

/** Dispatches per rate key (`connector:number`), pruned past the window: a sliding-window log. */
export const dialerRateGrants = pgTable(
  'dialer_rate_grants',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    key: text('key').notNull(),
    at: ts('at').notNull(),
  },
  (t) => [index('dialer_rate_grants_key_idx').on(t.key, t.at)],
);

export const callerIdPools = pgTable(
  'caller_id_pools',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    /** E.164 numbers, each one a phone_numbers row of the workspace. */
    numbers: jsonb('numbers').$type<string[]>().notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('caller_id_pools_name_uq').on(t.workspaceId, t.name)],
);

/** Per-workspace overrides of the dialer's defaults. */
export const dialerLimits = pgTable('dialer_limits', {
  workspaceId: uuid('workspace_id')
    .primaryKey()
    .references(() => workspaces.id, { onDelete: 'cascade' }),
  maxConcurrentCalls: integer('max_concurrent_calls'),
  callsPerSecondPerNumber: integer('calls_per_second_per_number'),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});
