/**
 * Every workspace's Home Assistant in this process: starts a `HomeConnection` per stored
 * connection, restarts it when the settings change, checks new settings before they are saved,
 * runs services, and prunes state history past each workspace's retention.
 */
import { randomUUID } from 'node:crypto';
import type { Logger, OutboundGuard } from '@switchboard/core';
import type { RetryPolicy } from '@switchboard/engine';
import type { Database, HomeRepo } from '@switchboard/store';
import { HomeConnection } from './connection.js';
import { type HaCheck, HaError, HaSocket, restBase } from './ha-socket.js';

export interface HomeAssistantOptions {
  repo: HomeRepo;
  logger: Logger;
  /** Connections a workspace admin aims go through it. */
  guard?: OutboundGuard;
  reconnect?: RetryPolicy;
  timeoutMs?: number;
  /** How often old state history is deleted; 0 turns pruning off. */
  pruneEveryMs?: number;
  /** Tells the other processes when a workspace's settings change, so each restarts its connection. */
  database?: Pick<Database, 'listen' | 'notify'>;
}

const CHANGED_CHANNEL = 'ha_connection_changed';

export type ValidationResult =
  | { ok: true; haVersion: string; devices: number; entities: number; services: number }
  | { ok: false; check: HaCheck; message: string };

/** What the agent tools and the API need of Home Assistant. */
export interface HomeGateway {
  callService(
    workspaceId: string,
    domain: string,
    service: string,
    data: Record<string, unknown>,
    target: { entity_id: string },
  ): Promise<unknown>;
}

export class HomeAssistant implements HomeGateway {
  readonly #o: HomeAssistantOptions;
  readonly #live = new Map<string, HomeConnection>();
  #pruneTimer: NodeJS.Timeout | undefined;
  #unlisten: (() => Promise<void>) | undefined;
  readonly #self = randomUUID();

  constructor(o: HomeAssistantOptions) {
    this.#o = o;
  }

  async start(): Promise<void> {
    if (this.#o.database) {
      this.#unlisten = await this.#o.database.listen(CHANGED_CHANNEL, (payload) => {
        let note: { from?: string; workspaceId?: string };
        try {
          note = JSON.parse(payload);
        } catch {
          return;
        }
        if (note.from === this.#self || !note.workspaceId) return;
        this.#reload(note.workspaceId).catch((e) =>
          this.#o.logger.warn({ err: (e as Error).message }, 'Home Assistant connection not reloaded'),
        );
      });
    }
    for (const workspaceId of await this.#o.repo.connectedWorkspaces()) await this.connect(workspaceId);
    const every = this.#o.pruneEveryMs ?? 3600_000;
    if (every > 0) {
      this.#pruneTimer = setInterval(() => {
        this.#o.repo
          .pruneHistory()
          .catch((e) => this.#o.logger.warn({ err: (e as Error).message }, 'state history pruning failed'));
      }, every);
      this.#pruneTimer.unref();
    }
  }

  /**
   * Checks settings before they are saved: the URL, reaching it, the handshake, the token, and that
   * the token may read the registries. Says which of these failed.
   */
  async validate(url: string, token: string): Promise<ValidationResult> {
    let socket: HaSocket | undefined;
    try {
      socket = await HaSocket.open({
        url,
        token,
        ...(this.#o.guard ? { guard: this.#o.guard } : {}),
        timeoutMs: this.#o.timeoutMs ?? 10_000,
      });
      const [devices, entities, services] = await Promise.all([
        socket.command<unknown[]>({ type: 'config/device_registry/list' }),
        socket.command<unknown[]>({ type: 'config/entity_registry/list' }),
        socket.command<Record<string, unknown>>({ type: 'get_services' }),
      ]);
      return {
        ok: true,
        haVersion: socket.haVersion,
        devices: Array.isArray(devices) ? devices.length : 0,
        entities: Array.isArray(entities) ? entities.length : 0,
        services: Object.values(services ?? {}).reduce<number>(
          (n, s) => n + Object.keys((s as object) ?? {}).length,
          0,
        ),
      };
    } catch (e) {
      if (e instanceof HaError) {
        const check: HaCheck = e.code ? 'registry' : e.check;
        const message = e.code ? `the token cannot read the registries (${e.code}: ${e.message})` : e.message;
        return { ok: false, check, message };
      }
      const message = (e as Error).message ?? String(e);
      return { ok: false, check: /refused|private|allowed host/i.test(message) ? 'url' : 'connect', message };
    } finally {
      socket?.close();
    }
  }

  /**
   * The workspace's settings were saved or deleted: this process restarts or stops its connection
   * at once, and every other process does on the notification.
   */
  async changed(workspaceId: string): Promise<void> {
    await this.#reload(workspaceId);
    await this.#o.database?.notify(CHANGED_CHANNEL, JSON.stringify({ from: this.#self, workspaceId }));
  }

  async #reload(workspaceId: string): Promise<void> {
    if (await this.#o.repo.connection(workspaceId)) await this.connect(workspaceId);
    else await this.disconnect(workspaceId);
  }

  /** (Re)starts the workspace's connection from its stored settings. */
  async connect(workspaceId: string): Promise<void> {
    await this.disconnect(workspaceId);
    const settings = await this.#o.repo.reveal(workspaceId);
    if (!settings) return;
    const conn = new HomeConnection({
      workspaceId,
      url: settings.url,
      token: settings.token,
      repo: this.#o.repo,
      logger: this.#o.logger,
      ...(this.#o.guard ? { guard: this.#o.guard } : {}),
      ...(this.#o.reconnect ? { reconnect: this.#o.reconnect } : {}),
      ...(this.#o.timeoutMs ? { timeoutMs: this.#o.timeoutMs } : {}),
    });
    this.#live.set(workspaceId, conn);
    conn.start();
  }

  async disconnect(workspaceId: string): Promise<void> {
    const conn = this.#live.get(workspaceId);
    this.#live.delete(workspaceId);
    await conn?.stop();
  }

  connection(workspaceId: string): HomeConnection | undefined {
    return this.#live.get(workspaceId);
  }

  /**
   * Runs a service: over the live WebSocket when it is up, else over the REST API (a single
   * request needs no subscription). Throws an HaError when neither works.
   */
  async callService(
    workspaceId: string,
    domain: string,
    service: string,
    data: Record<string, unknown>,
    target: { entity_id: string },
  ): Promise<unknown> {
    const conn = this.#live.get(workspaceId);
    if (conn?.status === 'connected') {
      try {
        return await conn.callService(domain, service, data, target);
      } catch (e) {
        // Home Assistant's own refusal is final; only a dropped socket falls through to REST.
        if (!(e instanceof HaError) || e.code) throw e;
      }
    }
    const settings = await this.#o.repo.reveal(workspaceId);
    if (!settings) throw new HaError('connect', 'this workspace has no Home Assistant connection');
    const doFetch = this.#o.guard?.fetch ?? fetch;
    const res = await doFetch(`${restBase(settings.url)}/api/services/${domain}/${service}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${settings.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ...data, ...target }),
      signal: AbortSignal.timeout(this.#o.timeoutMs ?? 10_000),
    }).catch((e: Error) => {
      throw new HaError('connect', `Home Assistant is unreachable: ${e.message}`);
    });
    if (res.status === 401) throw new HaError('auth', 'Home Assistant refused the token', 'unauthorized');
    if (!res.ok) {
      throw new HaError(
        'registry',
        `Home Assistant answered ${res.status}: ${(await res.text()).slice(0, 200)}`,
        'rest_error',
      );
    }
    return res.json().catch(() => null);
  }

  /** For /health/ready: each workspace connection's state. */
  health(): { name: string; state: 'up' | 'down' | 'disabled' | 'degraded'; detail?: string } {
    const all = [...this.#live.values()];
    if (all.length === 0)
      return { name: 'home-assistant', state: 'disabled', detail: 'no workspace connected a Home Assistant' };
    const down = all.filter((c) => c.status !== 'connected').length;
    if (down === 0) return { name: 'home-assistant', state: 'up' };
    return {
      name: 'home-assistant',
      // A house that is offline does not stop calls being taken: degraded, never down.
      state: 'degraded',
      detail: `${down} of ${all.length} Home Assistant connections are not connected`,
    };
  }

  async stop(): Promise<void> {
    clearInterval(this.#pruneTimer);
    await this.#unlisten?.().catch(() => {});
    await Promise.allSettled([...this.#live.values()].map((c) => c.stop()));
    this.#live.clear();
  }
}
