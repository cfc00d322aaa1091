import { randomUUID } from 'node:crypto';
import type { Logger, OutboundGuard } from '@switchboard/core';
import type { Store } from '@switchboard/store';
import { DEFAULT_RETRY_SCHEDULE, type RetrySchedule, retryDelayMs } from './backoff.js';
import { formatBody, type StoredEvent, switchboardEnvelope } from './formats.js';
import { createHttpPost, type HttpPost, postWithFetch } from './http-post.js';
import type { MqttPublisher } from './mqtt-publisher.js';
import { OUTBOX_CHANNEL } from './outbox-writer.js';
import type { RecordingLinks } from './recording-links.js';
import { type ClaimedDelivery, DeliveriesRepo } from './repos/deliveries.js';
import { SecretCache } from './secret-cache.js';
import { type SendResult, sendHttp } from './senders.js';
import { errorFields } from './util.js';

/** How long a woken worker lets further commits gather before it claims them. */
const COALESCE_MS = 20;

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
  /** Chains (one call's events for one target) claimed per round. */
  batchSize?: number;
  /** Deliveries of one chain claimed together and sent one after another, in order. */
  chainLength?: number;
  pollIntervalMs?: number;
  timeoutMs?: number;
  fetch?: typeof fetch;
  /** Checks every target (network policy); a refused one is dead-lettered at once, never retried. */
  outbound?: OutboundGuard;
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
  readonly #chainLength: number;
  readonly #timeoutMs: number;
  readonly #post: HttpPost;
  readonly #closeHttp: (() => void) | undefined;
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
    this.#chainLength = Math.max(1, options.chainLength ?? 20);
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    if (options.fetch) {
      this.#post = postWithFetch(options.fetch);
    } else {
      const http = createHttpPost({ outbound: options.outbound });
      this.#post = http.post;
      this.#closeHttp = http.close;
    }
  }

  /** Claims one batch and attempts its deliveries; returns how many were claimed. */
  async tick(): Promise<number> {
    return (await this.#round()).deliveries;
  }

  async #round(): Promise<{ deliveries: number; chains: number }> {
    const now = this.#now();
    const claimed = await this.#repo.claim(
      this.id,
      new Date(now),
      this.#leaseMs,
      this.#batch,
      this.#chainLength,
    );
    // Claimed in seq order, so each chain's deliveries are in order; chains are independent.
    const chains = new Map<string, ClaimedDelivery[]>();
    for (const d of claimed) {
      const key = `${d.targetKey} ${d.callId}`;
      const chain = chains.get(key);
      if (chain) chain.push(d);
      else chains.set(key, [d]);
    }
    await Promise.all([...chains.values()].map((c) => this.#deliverChain(c, now + this.#leaseMs)));
    return { deliveries: claimed.length, chains: chains.size };
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
    this.#closeHttp?.();
  }

  #signal(): void {
    this.#woken = true;
    this.#wake?.();
  }

  async #run(): Promise<void> {
    const poll = this.#o.pollIntervalMs ?? 1000;
    while (this.#running) {
      this.#woken = false;
      let chains = 0;
      try {
        ({ chains } = await this.#round());
      } catch (e) {
        this.#o.logger.warn(errorFields(e), 'delivery round failed; retrying');
      }
      if (!this.#running) break;
      if (chains >= this.#batch) continue;
      // Woken during the round: more events committed. Waiting a moment lets a burst of commits
      // arrive as one claim instead of a claim per commit (each scans the pending deliveries).
      if (this.#woken) await this.#sleep(COALESCE_MS, false);
      else await this.#sleep(poll, true);
    }
  }

  /** Sleeps `ms`; stop() always ends it early, a NOTIFY only when `wakeable`. */
  async #sleep(ms: number, wakeable: boolean): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#wake = () => {
        if (wakeable || !this.#running) {
          clearTimeout(timer);
          resolve();
        }
      };
    });
    this.#wake = undefined;
  }

  /**
   * Sends one chain's deliveries one after another. A delivery that fails stops the chain: the
   * ones behind it are handed back and wait for it. Successes are recorded together at
   * the end; a worker killed before that resends them, which receivers dedupe by event id.
   */
  async #deliverChain(chain: ClaimedDelivery[], leaseUntil: number): Promise<void> {
    const delivered: { id: string; status: number | null }[] = [];
    let next = 0;
    while (next < chain.length) {
      // Never start a send that could outlast the lease: another worker may then take the chain.
      if (next > 0 && this.#now() + this.#timeoutMs >= leaseUntil) break;
      const d = chain[next++]!;
      const result = await this.#sendSafely(d);
      this.stats.attempted++;
      if (result.ok) {
        this.stats.delivered++;
        delivered.push({ id: d.id, status: result.status });
      } else {
        // Retried or dead-lettered, the events behind it wait: order per call holds until the
        // failed one is delivered (a replay of a dead letter releases the rest in order).
        await this.#recordFailure(d, result);
        break;
      }
    }
    try {
      await this.#repo.deliveredMany(delivered, new Date(this.#now()));
      await this.#repo.release(
        chain.slice(next).map((d) => d.id),
        this.id,
      );
    } catch (e) {
      // The leases run out and another round retries; the receiver dedupes by event id.
      this.#o.logger.warn(
        { ...errorFields(e), deliveries: chain.length },
        'could not record delivery results',
      );
    }
  }

  async #sendSafely(d: ClaimedDelivery): Promise<SendResult> {
    try {
      return await this.#send(d);
    } catch (e) {
      return { ok: false, status: null, error: errorFields(e).err.message, permanent: false };
    }
  }

  /** Records a failed attempt; true when it will be retried (so later events must wait). */
  async #recordFailure(d: ClaimedDelivery, result: Extract<SendResult, { ok: false }>): Promise<boolean> {
    const now = new Date(this.#now());
    const exhausted = now.getTime() - d.retryFrom.getTime() >= this.#schedule.retryForMs;
    const nextAt =
      result.permanent || exhausted
        ? null
        : new Date(now.getTime() + retryDelayMs(this.#schedule, d.attempts, this.#o.random));
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
    try {
      await this.#repo.failed(d.id, this.id, now, { status: result.status, error: result.error, nextAt });
    } catch (e) {
      this.#o.logger.warn({ ...errorFields(e), deliveryId: d.id }, 'could not record delivery result');
    }
    return nextAt !== null;
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
      { post: this.#post, timeoutMs: this.#timeoutMs },
    );
  }
}
