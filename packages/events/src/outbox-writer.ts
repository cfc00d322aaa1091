import type { Db } from '@switchboard/store';
import { and, eq, sql } from 'drizzle-orm';
import { AGENT_WEBHOOK_EVENT_TYPES, DEFAULT_MQTT_EVENT_TYPES, formatCarries } from './event-types.js';
import {
  agentVersions,
  deliveries,
  outbox,
  WEBHOOK_FORMATS,
  type WebhookFormat,
  webhooks,
} from './tables.js';
import { rowsOf } from './util.js';

/** NOTIFY channel that wakes delivery workers after an outbox insert commits. */
export const OUTBOX_CHANNEL = 'switchboard_outbox';

export interface OutboxEvent {
  type: string;
  workspaceId: string;
  callId: string;
  /** The agent that ran the call, for per-agent webhooks and the agent config's `webhookUrl`. */
  agentId: string | null;
  agentVersion: number | null;
  /** Switchboard's `data` for the event. */
  payload: Record<string, unknown>;
}

export interface OutboxWriterOptions {
  /** MQTT is a delivery target when set (MQTT_URL configured); the event types it carries. */
  mqttTypes?: readonly string[] | false;
  now?: () => number;
}

/** A delivery target other than a webhook row. */
interface Target {
  target: 'agent' | 'mqtt';
  targetKey: string;
  url: string | null;
  format: WebhookFormat;
}

/**
 * Writes an event and one delivery per target inside the caller's transaction, so the event
 * exists exactly when the state change it reports does. Nothing is written when nobody listens.
 */
export class OutboxWriter {
  readonly #mqttTypes: ReadonlySet<string> | undefined;
  readonly #now: () => number;
  // Published agent versions are immutable, so their webhook URL can be cached for good.
  readonly #agentUrls = new Map<string, string | null>();

  constructor(options: OutboxWriterOptions = {}) {
    this.#mqttTypes =
      options.mqttTypes === false || options.mqttTypes === undefined ? undefined : new Set(options.mqttTypes);
    this.#now = options.now ?? Date.now;
  }

  static withMqtt(enabled: boolean, options: Omit<OutboxWriterOptions, 'mqttTypes'> = {}): OutboxWriter {
    return new OutboxWriter({ ...options, mqttTypes: enabled ? DEFAULT_MQTT_EVENT_TYPES : false });
  }

  /**
   * Returns the event id, or null when no target wanted the event. `tx` must be a transaction.
   *
   * One statement: it reads the workspace's enabled webhooks, inserts the event only when some
   * target wants it, inserts its deliveries and queues the wake-up. Reading the webhooks in the
   * same statement keeps a webhook created or disabled a moment ago exact, with no cache to go
   * stale across processes. The NOTIFY is delivered after commit and dropped on rollback, so
   * workers wake only for events that exist.
   */
  async append(tx: Db, event: OutboxEvent): Promise<string | null> {
    const extra = await this.#fixedTargets(tx, event);
    const formats = WEBHOOK_FORMATS.filter((f) => formatCarries(f, event.type));
    const now = new Date(this.#now()).toISOString();
    const r = await tx.execute(sql`
      with hooks as (
        select h.id, h.format from ${webhooks} h
        where h.workspace_id = ${event.workspaceId} and h.enabled
          and (h.agent_id is null or h.agent_id = ${event.agentId}::uuid)
          and h.event_types @> jsonb_build_array(${event.type}::text)
          and h.format in ${formats}),
      targets as (
        select 'webhook' as target, 'webhook:' || id::text as target_key, id as webhook_id,
          null::text as url, format from hooks
        union all
        select t->>'target', t->>'targetKey', null::uuid, t->>'url', t->>'format'
        from jsonb_array_elements(${JSON.stringify(extra)}::jsonb) t),
      ev as (
        insert into ${outbox} (workspace_id, call_id, type, payload, created_at)
        select ${event.workspaceId}::uuid, ${event.callId}::uuid, ${event.type}::text,
          ${JSON.stringify(event.payload)}::jsonb, ${now}::timestamptz
        where exists (select 1 from targets)
        returning id, seq),
      ins as (
        insert into ${deliveries} (event_id, seq, workspace_id, call_id, type, target, target_key,
          webhook_id, url, format, next_attempt_at, retry_from, created_at, updated_at)
        select ev.id, ev.seq, ${event.workspaceId}::uuid, ${event.callId}::uuid, ${event.type}::text, t.target,
          t.target_key, t.webhook_id, t.url, t.format, ${now}::timestamptz, ${now}::timestamptz,
          ${now}::timestamptz, ${now}::timestamptz
        from ev cross join targets t)
      select ev.id, pg_notify(${OUTBOX_CHANNEL}, '') from ev`);
    return rowsOf<{ id: string }>(r)[0]?.id ?? null;
  }

  /** Targets that are not webhook rows: the agent config's URL and MQTT. */
  async #fixedTargets(tx: Db, event: OutboxEvent): Promise<Target[]> {
    const out: Target[] = [];
    if (event.agentId && event.agentVersion !== null && AGENT_WEBHOOK_EVENT_TYPES.includes(event.type)) {
      const url = await this.#agentUrl(tx, event.agentId, event.agentVersion);
      if (url) out.push({ target: 'agent', targetKey: `agent:${event.agentId}`, url, format: 'switchboard' });
    }
    if (this.#mqttTypes?.has(event.type)) {
      out.push({ target: 'mqtt', targetKey: 'mqtt', url: null, format: 'switchboard' });
    }
    return out;
  }

  async #agentUrl(tx: Db, agentId: string, version: number): Promise<string | null> {
    const key = `${agentId}:${version}`;
    if (this.#agentUrls.has(key)) return this.#agentUrls.get(key) ?? null;
    const [row] = await tx
      .select({ url: sql<string | null>`${agentVersions.config}->>'webhookUrl'` })
      .from(agentVersions)
      .where(and(eq(agentVersions.agentId, agentId), eq(agentVersions.version, version)));
    const url = row?.url ?? null;
    if (this.#agentUrls.size > 10_000) this.#agentUrls.clear();
    this.#agentUrls.set(key, url);
    return url;
  }
}
