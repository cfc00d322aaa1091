import { randomUUID } from 'node:crypto';
import type { Logger } from '@switchboard/core';
import type { Store } from '@switchboard/store';
import { DEFAULT_RETRY_SCHEDULE, type RetrySchedule, retryDelayMs } from './backoff.js';
import { formatBody, type StoredEvent, switchboardEnvelope } from './formats.js';
import type { MqttPublisher } from './mqtt-publisher.js';
import { OUTBOX_CHANNEL } from './outbox-writer.js';
import type { RecordingLinks } from './recording-links.js';
import { type ClaimedDelivery, DeliveriesRepo } from './repos/deliveries.js';
import { SecretCache } from './secret-cache.js';
import { type SendResult, sendHttp } from './senders.js';
import { errorFields } from './util.js';

export interface DeliveryWorkerOptions {
  store: Store;
  logger: Logger;
  /** Signed recording links for call.ended payloads. */
  links?: RecordingLinks;
  /** The MQTT target; without it MQTT deliveries wait (and are retried) until one is configured. */
  mqtt?: MqttPublisher;
  schedule?: Partial<RetrySchedule>;
  /** Injectable clock: tests drive retries through 24 simulated hours with `tick()`. */
  now?: () => number;
  random?: () => number;
  /** How long a claim lasts; a worker killed mid-delivery frees its rows when it passes. */
  leaseMs?: number;
  batchSize?: number;
  pollIntervalMs?: number;
  timeoutMs?: number;
  fetch?: typeof fetch;
  /** Names this worker's claims; unique per process by default. */
  id?: string;
}

/**
 * Delivers outbox events to webhooks, agent webhook URLs and MQTT until each is acknowledged or
 * its retry window (24 h by default) is exhausted. Several workers, in one or many processes,
 * share the queue through leases; `start()` polls and wakes on NOTIFY, `tick()` runs one round.
 */
export class DeliveryWorker {
  readonly id: string;
  /** Attempts made by this worker, for metrics. */
  readonly stats = { attempted: 0, delivered: 0, failed: 0, dead: 0 };
  readonly #o: DeliveryWorkerOptions;
  readonly #repo: DeliveriesRepo;
  readonly #secrets: SecretCache;
  readonly #schedule: RetrySchedule;
  readonly #now: () => number;
  readonly #leaseMs: number;
  readonly #batch: number;
  #running = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #woken = false;
  #unlisten: (() => Promise<void>) | undefined;

  constructor(options: DeliveryWorkerOptions) {
    this.#o = options;
    this.id = options.id ?? `worker-${randomUUID()}`;
    this.#repo = new DeliveriesRepo(options.store.database.db);
    this.#now = options.now ?? Date.now;
    this.#secrets = new SecretCache(options.store, this.#now);
    this.#schedule = { ...DEFAULT_RETRY_SCHEDULE, ...options.schedule };
    this.#leaseMs = options.leaseMs ?? 60_000;
    this.#batch = options.batchSize ?? 50;
  }

  /** Claims one batch and attempts each delivery; returns how many were attempted. */
  async tick(): Promise<number> {
    const claimed = await this.#repo.claim(this.id, new Date(this.#now()), this.#leaseMs, this.#batch);
    // One call's events are never in the same batch for one target, so these run in parallel.
    await Promise.all(claimed.map((d) => this.#attempt(d)));
    return claimed.length;
  }

  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    this.#unlisten = await this.#o.store.database.listen(OUTBOX_CHANNEL, () => this.#signal());
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.#signal();
    await this.#loop;
    await this.#unlisten?.();
    this.#unlisten = undefined;
  }

  #signal(): void {
    this.#woken = true;
    this.#wake?.();
  }

  async #run(): Promise<void> {
    const poll = this.#o.pollIntervalMs ?? 1000;
    while (this.#running) {
      this.#woken = false;
      let n = 0;
      try {
        n = await this.tick();
      } catch (e) {
        this.#o.logger.warn(errorFields(e), 'delivery round failed; retrying');
      }
      if (!this.#running) break;
      if (n >= this.#batch || this.#woken) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, poll);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
  }

  async #attempt(d: ClaimedDelivery): Promise<void> {
    let result: SendResult;
    try {
      result = await this.#send(d);
    } catch (e) {
      result = { ok: false, status: null, error: errorFields(e).err.message, permanent: false };
    }
    const now = new Date(this.#now());
    this.stats.attempted++;
    try {
      if (result.ok) {
        this.stats.delivered++;
        await this.#repo.delivered(d.id, now, result.status);
        return;
      }
      const exhausted = now.getTime() - d.retryFrom.getTime() >= this.#schedule.retryForMs;
      const nextAt =
        result.permanent || exhausted
          ? null
          : new Date(now.getTime() + retryDelayMs(this.#schedule, d.attempts, this.#o.random));
      await this.#repo.failed(d.id, this.id, now, { status: result.status, error: result.error, nextAt });
      if (nextAt) this.stats.failed++;
      else this.stats.dead++;
      const log = {
        deliveryId: d.id,
        eventId: d.eventId,
        target: d.target,
        attempts: d.attempts,
        error: result.error,
      };
      if (!nextAt) this.#o.logger.warn(log, 'delivery dead-lettered');
      else this.#o.logger.debug({ ...log, nextAt }, 'delivery failed; will retry');
    } catch (e) {
      // The lease runs out and another round retries; the receiver dedupes by event id.
      this.#o.logger.warn({ ...errorFields(e), deliveryId: d.id }, 'could not record delivery result');
    }
  }

  async #send(d: ClaimedDelivery): Promise<SendResult> {
    const event: StoredEvent = {
      eventId: d.eventId,
      type: d.type,
      workspaceId: d.workspaceId,
      callId: d.callId,
      createdAt: d.eventCreatedAt,
      payload: d.payload,
    };
    const links = this.#o.links;
    const recordingUrl = links ? (callId: string) => links.url(callId, this.#now()) : undefined;
    if (d.target === 'mqtt') {
      if (!this.#o.mqtt)
        return { ok: false, status: null, error: 'MQTT is not configured', permanent: false };
      const topic = `switchboard/${d.workspaceId}/calls/${d.type}`;
      return this.#o.mqtt.publish(topic, JSON.stringify(switchboardEnvelope(event, recordingUrl)));
    }
    if (!d.url) return { ok: false, status: null, error: 'the webhook no longer exists', permanent: true };
    const body = formatBody(d.format, event, recordingUrl);
    // The format cannot express this event (its webhook changed format): nothing to send.
    if (body === null) return { ok: true, status: null };
    const secret =
      d.target === 'webhook' && d.secretCredentialId
        ? await this.#secrets.credential(d.workspaceId, d.secretCredentialId)
        : await this.#secrets.workspaceDefault(d.workspaceId);
    return sendHttp(
      {
        url: d.url,
        body,
        eventId: d.eventId,
        eventType: d.type,
        secret,
        avrSecret: d.format === 'avr' ? secret : null,
        nowMs: Date.now(),
      },
      { fetch: this.#o.fetch ?? fetch, timeoutMs: this.#o.timeoutMs ?? 10_000 },
    );
  }
}
