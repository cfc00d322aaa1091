import type { Db } from '@switchboard/store';
import { and, eq, sql } from 'drizzle-orm';
import { AGENT_WEBHOOK_EVENT_TYPES, DEFAULT_MQTT_EVENT_TYPES, formatCarries } from './event-types.js';
import { agentVersions, deliveries, outbox, type WebhookFormat, webhooks } from './tables.js';

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

interface Target {
  target: 'webhook' | 'agent' | 'mqtt';
  targetKey: string;
  webhookId: string | null;
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

  /** Returns the event id, or null when no target wanted the event. `tx` must be a transaction. */
  async append(tx: Db, event: OutboxEvent): Promise<string | null> {
    const targets = await this.#targets(tx, event);
    if (targets.length === 0) return null;
    const now = new Date(this.#now());
    const [row] = await tx
      .insert(outbox)
      .values({
        workspaceId: event.workspaceId,
        callId: event.callId,
        type: event.type,
        payload: event.payload,
        createdAt: now,
      })
      .returning({ id: outbox.id, seq: outbox.seq });
    const { id, seq } = row!;
    await tx.insert(deliveries).values(
      targets.map((t) => ({
        eventId: id,
        seq,
        workspaceId: event.workspaceId,
        callId: event.callId,
        type: event.type,
        ...t,
        nextAttemptAt: now,
        retryFrom: now,
        createdAt: now,
        updatedAt: now,
      })),
    );
    // Delivered after commit, dropped on rollback: workers wake only for events that exist.
    await tx.execute(sql`select pg_notify(${OUTBOX_CHANNEL}, '')`);
    return id;
  }

  async #targets(tx: Db, event: OutboxEvent): Promise<Target[]> {
    const out: Target[] = [];
    const hooks = await tx
      .select({
        id: webhooks.id,
        agentId: webhooks.agentId,
        eventTypes: webhooks.eventTypes,
        format: webhooks.format,
      })
      .from(webhooks)
      .where(and(eq(webhooks.workspaceId, event.workspaceId), eq(webhooks.enabled, true)));
    for (const h of hooks) {
      if (h.agentId && h.agentId !== event.agentId) continue;
      if (!h.eventTypes.includes(event.type) || !formatCarries(h.format, event.type)) continue;
      out.push({
        target: 'webhook',
        targetKey: `webhook:${h.id}`,
        webhookId: h.id,
        url: null,
        format: h.format,
      });
    }
    if (event.agentId && event.agentVersion !== null && AGENT_WEBHOOK_EVENT_TYPES.includes(event.type)) {
      const url = await this.#agentUrl(tx, event.agentId, event.agentVersion);
      if (url) {
        out.push({
          target: 'agent',
          targetKey: `agent:${event.agentId}`,
          webhookId: null,
          url,
          format: 'switchboard',
        });
      }
    }
    if (this.#mqttTypes?.has(event.type)) {
      out.push({ target: 'mqtt', targetKey: 'mqtt', webhookId: null, url: null, format: 'switchboard' });
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
