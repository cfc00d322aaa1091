import { sql } from 'drizzle-orm';
import {
  type AnyPgColumn,
  bigint,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { ts } from './columns.js';
import { campaigns } from './schema-dialer.js';

/**
 * The one schema. Row types and API validators derive from these tables; queries live in the
 * repositories. Keep to PostgreSQL 15 SQL: PGlite runs 18, production servers may run 15.
 */
const createdAt = () => ts('created_at').notNull().defaultNow();
const updatedAt = () => timestamp('updated_at', { withTimezone: true }).notNull().defaultNow();

export const workspaces = pgTable('workspaces', {
  id: uuid('id').primaryKey().defaultRandom(),
  name: text('name').notNull(),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export const ROLES = ['owner', 'admin', 'member', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    email: text('email').notNull(),
    name: text('name'),
    passwordHash: text('password_hash'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('users_email_uq').on(sql`lower(${t.email})`)],
);

export const memberships = pgTable(
  'memberships',
  {
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: text('role', { enum: ROLES }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.userId] }),
    index('memberships_user_idx').on(t.userId),
    check('memberships_role_ck', sql`${t.role} in ('owner','admin','member','viewer')`),
  ],
);

export const sessions = pgTable(
  'sessions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tokenHash: text('token_hash').notNull(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('sessions_token_uq').on(t.tokenHash)],
);

export const API_KEY_ROLES = ['admin', 'member', 'viewer'] as const;

export const apiKeys = pgTable(
  'api_keys',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    /** The visible start of the key, e.g. `sb_3f9a1c2d`; the rest is only ever stored hashed. */
    prefix: text('prefix').notNull(),
    keyHash: text('key_hash').notNull(),
    role: text('role', { enum: API_KEY_ROLES }).notNull(),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('api_keys_hash_uq').on(t.keyHash), index('api_keys_workspace_idx').on(t.workspaceId)],
);

export const credentials = pgTable(
  'credentials',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    /** AES-256-GCM envelope (`v1.<iv>.<tag>.<ciphertext>`), bound to workspace and id. */
    ciphertext: text('ciphertext').notNull(),
    /** A few trailing characters of the secret, so people can tell keys apart. */
    hint: text('hint').notNull(),
    /**
     * Hosts (host, host:port, *.suffix) this secret may be sent to besides the vendor hosts of the
     * provider type it is used with. Set by admins only; see docs/security.md.
     */
    allowedHosts: text('allowed_hosts').array().notNull().default(sql`'{}'::text[]`),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('credentials_name_uq').on(t.workspaceId, t.name)],
);

export const PROVIDER_KINDS = ['sts', 'asr', 'llm', 'tts'] as const;
export type ProviderKind = (typeof PROVIDER_KINDS)[number];

export const providers = pgTable(
  'providers',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    kind: text('kind', { enum: PROVIDER_KINDS }).notNull(),
    type: text('type').notNull(),
    settings: jsonb('settings').$type<Record<string, unknown>>().notNull().default({}),
    credentialId: uuid('credential_id').references(() => credentials.id, { onDelete: 'restrict' }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('providers_name_uq').on(t.workspaceId, t.name),
    check('providers_kind_ck', sql`${t.kind} in ('sts','asr','llm','tts')`),
  ],
);

export const agents = pgTable(
  'agents',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    description: text('description'),
    /** The working copy; publishing freezes it into agent_versions. */
    draft: jsonb('draft').$type<Record<string, unknown>>().notNull(),
    draftUpdatedAt: timestamp('draft_updated_at', { withTimezone: true }).notNull().defaultNow(),
    currentVersion: integer('current_version'),
    defaultInbound: boolean('default_inbound').notNull().default(false),
    defaultOutbound: boolean('default_outbound').notNull().default(false),
    /** Runs on Vapi: the published version is synced to a Vapi assistant (schema-vapi.ts). */
    runOnVapi: boolean('run_on_vapi').notNull().default(false),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('agents_name_uq').on(t.workspaceId, t.name),
    // At most one default per workspace per direction, whatever the application does.
    uniqueIndex('agents_default_inbound_uq').on(t.workspaceId).where(sql`${t.defaultInbound}`),
    uniqueIndex('agents_default_outbound_uq').on(t.workspaceId).where(sql`${t.defaultOutbound}`),
  ],
);

export const agentVersions = pgTable(
  'agent_versions',
  {
    agentId: uuid('agent_id')
      .notNull()
      .references(() => agents.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    config: jsonb('config').$type<Record<string, unknown>>().notNull(),
    note: text('note'),
    /** For a rollback: the version this one copies. */
    sourceVersion: integer('source_version'),
    createdBy: uuid('created_by'),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.agentId, t.version] })],
);

export const CONNECTORS = ['sip', 'twilio', 'plivo', 'telnyx', 'asterisk', 'web'] as const;
export type Connector = (typeof CONNECTORS)[number];

export const phoneNumbers = pgTable(
  'phone_numbers',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    /** E.164 (`+14155550100`) or a SIP user part (`sales`). */
    number: text('number').notNull(),
    connector: text('connector', { enum: CONNECTORS }).notNull(),
    agentId: uuid('agent_id').references(() => agents.id, { onDelete: 'set null' }),
    label: text('label'),
    configUrl: text('config_url'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  // Global, not per workspace: an inbound call must route to exactly one place.
  (t) => [
    uniqueIndex('phone_numbers_uq').on(t.connector, t.number),
    index('phone_numbers_ws_idx').on(t.workspaceId),
  ],
);

export interface StatusChange {
  status: string;
  at: string;
}

export const calls = pgTable(
  'calls',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    agentId: uuid('agent_id').references(() => agents.id, { onDelete: 'set null' }),
    agentVersion: integer('agent_version'),
    direction: text('direction', { enum: ['inbound', 'outbound'] }).notNull(),
    connector: text('connector').notNull(),
    fromNumber: text('from_number').notNull(),
    toNumber: text('to_number').notNull(),
    status: text('status').notNull().default('queued'),
    statusProgression: jsonb('status_progression').$type<StatusChange[]>().notNull().default([]),
    outcome: text('outcome'),
    endedReason: text('ended_reason'),
    externalId: text('external_id'),
    customCallId: text('custom_call_id'),
    /** Set for calls a campaign placed. */
    campaignId: uuid('campaign_id').references((): AnyPgColumn => campaigns.id, { onDelete: 'set null' }),
    variables: jsonb('variables').$type<Record<string, string>>().notNull().default({}),
    providersUsed: jsonb('providers_used').$type<Record<string, string>>().notNull().default({}),
    /** Agent fields this call changes, as the request gave them (`agentOverrides`). */
    agentOverrides: jsonb('agent_overrides').$type<Record<string, unknown>>(),
    /** The agent document the call runs with its overrides merged in (set only with overrides). */
    agentConfig: jsonb('agent_config').$type<Record<string, unknown>>(),
    recordingPath: text('recording_path'),
    /** A recording kept where the call ran (a Vapi call's), linked as it is. */
    recordingUrl: text('recording_url'),
    error: text('error'),
    queuedAt: timestamp('queued_at', { withTimezone: true }).notNull().defaultNow(),
    startedAt: timestamp('started_at', { withTimezone: true }),
    answeredAt: timestamp('answered_at', { withTimezone: true }),
    endedAt: timestamp('ended_at', { withTimezone: true }),
    durationMs: bigint('duration_ms', { mode: 'number' }),
    /**
     * The process running the call (its instance id) while the call is live; cleared when it ends.
     * With `heartbeatAt`, refreshed by the owner in one statement for all its calls, it lets any
     * process end the calls of one that died.
     */
    owner: text('owner'),
    heartbeatAt: timestamp('heartbeat_at', { withTimezone: true }),
    /** Set when the call's data was erased on request: the row stays as a tombstone (ids, times). */
    erasedAt: timestamp('erased_at', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('calls_ws_created_idx').on(t.workspaceId, t.createdAt),
    // Only live calls: the sweep for lost ones reads this, and ended calls leave it.
    index('calls_live_heartbeat_idx')
      .on(t.heartbeatAt)
      .where(sql`${t.owner} is not null and ${t.status} <> 'ended'`),
    index('calls_agent_idx').on(t.agentId),
    uniqueIndex('calls_custom_id_uq').on(t.workspaceId, t.customCallId),
    index('calls_external_idx').on(t.connector, t.externalId),
    index('calls_campaign_idx').on(t.campaignId, t.endedAt),
  ],
);

export const callEvents = pgTable(
  'call_events',
  {
    callId: uuid('call_id')
      .notNull()
      .references(() => calls.id, { onDelete: 'cascade' }),
    seq: integer('seq').notNull(),
    type: text('type').notNull(),
    at: timestamp('at', { withTimezone: true }).notNull(),
    data: jsonb('data').$type<Record<string, unknown>>().notNull().default({}),
  },
  (t) => [primaryKey({ columns: [t.callId, t.seq] })],
);

export const turnLatencies = pgTable(
  'turn_latencies',
  {
    callId: uuid('call_id')
      .notNull()
      .references(() => calls.id, { onDelete: 'cascade' }),
    turn: integer('turn').notNull(),
    callerStoppedMs: integer('caller_stopped_ms'),
    asrFinalMs: integer('asr_final_ms'),
    llmFirstTokenMs: integer('llm_first_token_ms'),
    ttsFirstAudioMs: integer('tts_first_audio_ms'),
    firstAudioSentMs: integer('first_audio_sent_ms'),
  },
  (t) => [primaryKey({ columns: [t.callId, t.turn] })],
);

/** Instance-wide facts: the setup token's hash, the master key's fingerprint. */
export const instanceSettings = pgTable('instance_settings', {
  key: text('key').primaryKey(),
  value: jsonb('value').notNull(),
  updatedAt: updatedAt(),
});
export * from './schema-dialer.js';
export * from './schema-events.js';
export * from './schema-home.js';
export * from './schema-knowledge.js';
export * from './schema-retention.js';
export * from './schema-vapi.js';
