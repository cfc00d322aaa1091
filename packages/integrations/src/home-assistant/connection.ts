/**
 * A workspace's live link to its Home Assistant: connects, syncs the registries and every state,
 * follows `state_changed`, and when the link drops reconnects with backoff and syncs again from
 * the start (a sync cut off halfway is simply redone; every write is an upsert).
 */
import type { Logger, OutboundGuard } from '@switchboard/core';
import { backoffMs, type RetryPolicy } from '@switchboard/engine';
import type { HaConnectionStatus, HomeRepo } from '@switchboard/store';
import { HaError, HaSocket } from './ha-socket.js';
import { devicesFrom, entitiesFrom, servicesFrom, stateFrom, statesFrom } from './records.js';

export const HA_RECONNECT: RetryPolicy = {
  maxRetries: Number.POSITIVE_INFINITY,
  baseDelayMs: 1000,
  maxDelayMs: 60_000,
};

/** A connection that stops answering pings (a half-open TCP link) is dropped and reconnected. */
const PING_EVERY_MS = 30_000;

export interface HomeConnectionOptions {
  workspaceId: string;
  url: string;
  token: string;
  repo: HomeRepo;
  logger: Logger;
  guard?: OutboundGuard;
  reconnect?: RetryPolicy;
  timeoutMs?: number;
  pingEveryMs?: number;
}

export interface SyncCounts {
  devices: number;
  entities: number;
  services: number;
  states: number;
}

export class HomeConnection {
  readonly workspaceId: string;
  readonly #o: HomeConnectionOptions;
  readonly #log: Logger;
  #socket: HaSocket | undefined;
  #timer: NodeJS.Timeout | undefined;
  #ping: NodeJS.Timeout | undefined;
  #attempt = 0;
  #stopped = false;
  #status: HaConnectionStatus = 'connecting';
  #syncs = 0;
  #lastSync: SyncCounts | undefined;
  #waiters: (() => void)[] = [];

  constructor(o: HomeConnectionOptions) {
    this.#o = o;
    this.workspaceId = o.workspaceId;
    this.#log = o.logger.child({ workspaceId: o.workspaceId, subsystem: 'home-assistant' });
  }

  get status(): HaConnectionStatus {
    return this.#status;
  }

  /** Completed full syncs since start (each reconnect adds one). */
  get syncs(): number {
    return this.#syncs;
  }

  get lastSync(): SyncCounts | undefined {
    return this.#lastSync;
  }

  start(): void {
    void this.#connect();
  }

  /** Resolves after the next completed sync. */
  nextSync(): Promise<void> {
    return new Promise((r) => this.#waiters.push(r));
  }

  /** Runs a service over the live socket. Throws an HaError when it is down or Home Assistant refuses. */
  async callService(
    domain: string,
    service: string,
    data: Record<string, unknown>,
    target: Record<string, unknown>,
  ): Promise<unknown> {
    const socket = this.#socket;
    if (!socket || socket.closed) throw new HaError('connect', 'Home Assistant is not connected right now');
    return socket.command({ type: 'call_service', domain, service, service_data: data, target });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    clearInterval(this.#ping);
    this.#socket?.close();
    this.#socket = undefined;
  }

  async #connect(): Promise<void> {
    if (this.#stopped) return;
    const { repo, workspaceId } = this.#o;
    let socket: HaSocket;
    try {
      socket = await HaSocket.open({
        url: this.#o.url,
        token: this.#o.token,
        ...(this.#o.guard ? { guard: this.#o.guard } : {}),
        ...(this.#o.timeoutMs ? { timeoutMs: this.#o.timeoutMs } : {}),
      });
    } catch (e) {
      const err = e instanceof HaError ? e : new HaError('connect', String(e));
      // A refused token will not start working on its own; the connection waits for a new one.
      if (err.check === 'auth' || err.check === 'url') {
        await this.#setStatus('auth_failed', err.message);
        this.#log.warn({ check: err.check, err: err.message }, 'Home Assistant refused the connection');
        return;
      }
      await this.#setStatus('disconnected', err.message);
      this.#retry(err.message);
      return;
    }
    if (this.#stopped) {
      socket.close();
      return;
    }
    this.#socket = socket;
    const queued: unknown[] = [];
    let syncing = true;
    /** Why the sync failed, when it did: the status says that rather than "connection lost". */
    let syncError: string | undefined;
    socket.on('event', (_sub: number, event: unknown) => {
      if (syncing) queued.push(event);
      else void this.#onEvent(event);
    });
    clearInterval(this.#ping);
    this.#ping = setInterval(() => {
      socket.command({ type: 'ping' }).catch(() => socket.terminate());
    }, this.#o.pingEveryMs ?? PING_EVERY_MS);
    this.#ping.unref();
    socket.once('close', (reason: string) => {
      clearInterval(this.#ping);
      if (this.#socket === socket) this.#socket = undefined;
      if (this.#stopped) return;
      void this.#setStatus(
        syncError ? 'error' : 'disconnected',
        syncError ? `sync failed: ${syncError}` : `connection lost: ${reason}`,
      );
      this.#log.warn({ reason }, 'Home Assistant connection lost; reconnecting');
      this.#retry(reason);
    });
    try {
      // Subscribe first so no change between the snapshot and the subscription is missed.
      await socket.subscribe('state_changed');
      const [devices, entities, services, states] = await Promise.all([
        socket.command({ type: 'config/device_registry/list' }),
        socket.command({ type: 'config/entity_registry/list' }),
        socket.command({ type: 'get_services' }),
        socket.command({ type: 'get_states' }),
      ]);
      const skip = (err: Error) => this.#log.warn({ err: err.message }, 'Home Assistant record left out');
      const d = devicesFrom(devices, skip);
      const e = entitiesFrom(entities, skip);
      const s = servicesFrom(services);
      const st = statesFrom(states, skip);
      await repo.upsertDevices(workspaceId, d);
      await repo.upsertEntities(workspaceId, e);
      await repo.upsertServices(workspaceId, s);
      await repo.setStates(workspaceId, st);
      await repo.removeMissing(workspaceId, {
        devices: d.map((x) => x.id),
        entities: [...new Set([...e.map((x) => x.entityId), ...st.map((x) => x.entityId)])],
        services: s.map((x) => `${x.domain}.${x.service}`),
      });
      syncing = false;
      for (const ev of queued.splice(0)) await this.#onEvent(ev);
      this.#attempt = 0;
      this.#syncs++;
      this.#lastSync = { devices: d.length, entities: e.length, services: s.length, states: st.length };
      await repo.setStatus(workspaceId, 'connected', {
        error: null,
        haVersion: socket.haVersion,
        synced: true,
      });
      this.#status = 'connected';
      this.#log.info(this.#lastSync, 'Home Assistant synced');
      for (const w of this.#waiters.splice(0)) w();
    } catch (e) {
      // A sync cut off by a disconnect is redone after reconnecting (the close handler retries).
      const message = e instanceof Error ? e.message : String(e);
      if (!socket.closed) {
        syncError = message;
        this.#log.warn({ err: message }, 'Home Assistant sync failed; reconnecting');
        socket.terminate();
      }
    }
  }

  async #onEvent(event: unknown): Promise<void> {
    const ev = event as { event_type?: string; data?: { entity_id?: string; new_state?: unknown } };
    if (ev?.event_type !== 'state_changed' || !ev.data?.entity_id) return;
    const next = ev.data.new_state;
    try {
      const state =
        next && typeof next === 'object'
          ? stateFrom(next as Record<string, unknown>)
          : { entityId: ev.data.entity_id, state: null, attributes: {}, lastChanged: new Date() };
      await this.#o.repo.setStates(this.#o.workspaceId, [state], { history: true });
    } catch (e) {
      this.#log.warn({ err: e instanceof Error ? e.message : String(e) }, 'state change not stored');
    }
  }

  #retry(reason: string): void {
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    const delay = backoffMs(this.#o.reconnect ?? HA_RECONNECT, Math.min(this.#attempt++, 16));
    this.#log.debug({ delayMs: delay, reason }, 'reconnecting to Home Assistant');
    this.#timer = setTimeout(() => void this.#connect(), delay);
    this.#timer.unref();
  }

  async #setStatus(status: HaConnectionStatus, error: string | null): Promise<void> {
    this.#status = status;
    await this.#o.repo.setStatus(this.#o.workspaceId, status, { error }).catch(() => {});
  }
}
