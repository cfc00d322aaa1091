import { sql } from 'drizzle-orm';
import { boolean, check, index, integer, jsonb, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { ts } from './columns.js';
import { phoneNumbers, workspaces } from './schema.js';
import { knowledgeBases } from './schema-knowledge.js';

/**
 * Vapi as a run target. A workspace's settings (the feature flag, its private API key sealed like
 * every credential, and the secret Vapi sends back with its server messages), and one sync row per
 * agent that runs on Vapi. The row is keyed by the agent id and the assistant id is unique, so an
 * agent maps to at most one assistant whatever the application does. The row outlives its agent
 * (no foreign key to agents): a deleted agent's assistant is still known, to be deleted on Vapi.
 */

export const VAPI_SYNC_STATES = ['pending', 'synced', 'error'] as const;
export type VapiSyncState = (typeof VAPI_SYNC_STATES)[number];

export const vapiSettings = pgTable('vapi_settings', {
  workspaceId: uuid('workspace_id')
    .primaryKey()
    .references(() => workspaces.id, { onDelete: 'cascade' }),
  /** The feature flag: off, nothing is synced and server messages are refused. */
  enabled: boolean('enabled').notNull().default(true),
  /** The private API key, sealed with the master key (bound to the workspace). */
  ciphertext: text('ciphertext').notNull(),
  hint: text('hint').notNull(),
  /** Sent to Vapi as a header on every assistant's server; Vapi's messages must carry it back. */
  serverSecretCiphertext: text('server_secret_ciphertext').notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});

export const vapiAssistants = pgTable(
  'vapi_assistants',
  {
    agentId: uuid('agent_id').primaryKey(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    /** False once the agent is unlinked or deleted: the assistant is to be deleted on Vapi. */
    linked: boolean('linked').notNull().default(true),
    assistantId: text('assistant_id'),
    /** The agent version the assistant was last built from. */
    syncedVersion: integer('synced_version'),
    /** The assistant body as last accepted by Vapi, so an update sends only what changed. */
    syncedBody: jsonb('synced_body').$type<Record<string, unknown>>(),
    /** The query tool over the agent's knowledge bases, and the body Vapi last accepted for it. */
    queryToolId: text('query_tool_id'),
    queryToolBody: jsonb('query_tool_body').$type<Record<string, unknown>>(),
    state: text('state', { enum: VAPI_SYNC_STATES }).notNull().default('pending'),
    error: text('error'),
    syncedAt: ts('synced_at'),
    /**
     * Held by the process syncing this agent until then: two processes never talk to Vapi about one
     * agent at once, so an assistant is never created twice. A process that died lets it lapse.
     */
    leaseUntil: ts('lease_until'),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('vapi_assistants_assistant_uq').on(t.assistantId),
    index('vapi_assistants_ws_idx').on(t.workspaceId),
    check('vapi_assistants_state_ck', sql`${t.state} in ('pending','synced','error')`),
  ],
);

/** Our numbers imported to Vapi: one Vapi phone number each, bound to an assistant. */
export const vapiPhoneNumbers = pgTable(
  'vapi_phone_numbers',
  {
    phoneNumberId: uuid('phone_number_id')
      .primaryKey()
      .references(() => phoneNumbers.id, { onDelete: 'cascade' }),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    vapiPhoneNumberId: text('vapi_phone_number_id').notNull(),
    assistantId: text('assistant_id'),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('vapi_phone_numbers_vapi_uq').on(t.vapiPhoneNumberId)],
);

/** A knowledge base's text uploaded as one Vapi file; uploaded again only when the text changes. */
export const vapiKbFiles = pgTable(
  'vapi_kb_files',
  {
    knowledgeBaseId: uuid('knowledge_base_id')
      .primaryKey()
      .references(() => knowledgeBases.id, { onDelete: 'cascade' }),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    vapiFileId: text('vapi_file_id').notNull(),
    /** sha256 of the uploaded text. */
    contentHash: text('content_hash').notNull(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('vapi_kb_files_vapi_uq').on(t.vapiFileId)],
);
