import { integer, pgTable, timestamp, uuid } from 'drizzle-orm/pg-core';
import { workspaces } from './schema.js';

/**
 * How long a workspace keeps each kind of call data, in days; null keeps it forever. A workspace
 * without a row keeps everything. The daily retention job reads these rows.
 */
export const workspaceRetention = pgTable('workspace_retention', {
  workspaceId: uuid('workspace_id')
    .primaryKey()
    .references(() => workspaces.id, { onDelete: 'cascade' }),
  /** Recording files and the call's link to them. */
  recordingsDays: integer('recordings_days'),
  /** Transcript entries: `transcript.*` events and the transcript inside `call.ended`. */
  transcriptsDays: integer('transcripts_days'),
  /** Every call event, per-turn latencies and the call's delivered outbox rows. */
  eventsDays: integer('events_days'),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});
