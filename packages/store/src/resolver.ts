import {
  type AgentSnapshot,
  AppError,
  agentConfigSchema,
  type Logger,
  mergeConfig,
  notFound,
  outboundRefusal,
} from '@switchboard/core';
import type { Database } from './database.js';
import type { AgentsRepo } from './repos/agents.js';
import type { PhoneNumbersRepo } from './repos/phone-numbers.js';
import type { Connector } from './schema.js';

/** What a call arrives with; the resolver turns it into the agent that answers. */
export type Route =
  | { agentId: string; workspaceId?: string }
  | { connector: Connector; number: string }
  | { workspaceId: string; direction: 'inbound' | 'outbound' };

export interface ResolvedAgent extends AgentSnapshot {
  /** Set when the route came through a phone number that names one. */
  configUrl?: string;
  phoneNumberId?: string;
}

interface Entry<T> {
  value: T;
  expiresAt: number;
}

export interface ResolverOptions {
  /** Safety net only: invalidation arrives by NOTIFY. */
  ttlMs?: number;
  logger?: Logger;
  now?: () => number;
}

/**
 * The one function that decides what answers a call. Snapshots are cached per agent and dropped
 * when the database announces a change (LISTEN/NOTIFY on PGlite and PostgreSQL alike), so a
 * publish reaches the next call in every process without polling or restarts.
 */
export class AgentResolver {
  private readonly snapshots = new Map<string, Entry<AgentSnapshot>>();
  private readonly routes = new Map<
    string,
    Entry<{ workspaceId: string; agentId: string | null; configUrl: string | null; id: string }>
  >();
  private readonly defaults = new Map<string, Entry<string | null>>();
  /** Bumped on every invalidation, so a load that raced with one is not cached. */
  private generation = 0;
  private readonly unsubscribers: (() => Promise<void> | void)[] = [];
  private readonly ttlMs: number;
  private readonly now: () => number;
  private readonly invalidationListeners = new Set<(agentId: string) => void>();

  constructor(
    private readonly database: Database,
    private readonly agents: AgentsRepo,
    private readonly numbers: PhoneNumbersRepo,
    options: ResolverOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  /** Starts listening for changes. Resolving before this works, but without invalidation. */
  async start(): Promise<void> {
    this.unsubscribers.push(
      await this.database.listen('agent_changed', (payload) => {
        const [agentId, workspaceId] = payload.split(':');
        this.generation++;
        if (agentId) this.snapshots.delete(agentId);
        if (workspaceId) {
          this.defaults.delete(`${workspaceId}:inbound`);
          this.defaults.delete(`${workspaceId}:outbound`);
        }
        if (agentId) for (const l of this.invalidationListeners) l(agentId);
      }),
      await this.database.listen('route_changed', (payload) => {
        this.generation++;
        this.routes.delete(payload);
      }),
      this.database.onReconnect(() => this.clear()),
    );
  }

  async stop(): Promise<void> {
    for (const u of this.unsubscribers.splice(0)) await u();
  }

  /** Observe invalidations (tests and benchmarks measure publish → visible with this). */
  onInvalidate(listener: (agentId: string) => void): () => void {
    this.invalidationListeners.add(listener);
    return () => this.invalidationListeners.delete(listener);
  }

  clear(): void {
    this.generation++;
    this.snapshots.clear();
    this.routes.clear();
    this.defaults.clear();
  }

  async resolveAgent(route: Route): Promise<ResolvedAgent> {
    if ('agentId' in route) {
      const snap = await this.snapshot(route.agentId);
      if (route.workspaceId && snap.workspaceId !== route.workspaceId) throw notFound('agent', route.agentId);
      return snap;
    }
    if ('connector' in route) {
      const key = `${route.connector}:${route.number}`;
      const r = await this.cached(this.routes, key, async () => {
        const row = await this.numbers.findRoute(route.connector, route.number);
        return row
          ? { workspaceId: row.workspaceId, agentId: row.agentId, configUrl: row.configUrl, id: row.id }
          : null;
      });
      if (!r) throw notFound(`number ${route.number} on connector`, route.connector);
      const agentId = r.agentId ?? (await this.defaultAgent(r.workspaceId, 'inbound'));
      const snap = await this.snapshot(agentId);
      return { ...snap, phoneNumberId: r.id, ...(r.configUrl ? { configUrl: r.configUrl } : {}) };
    }
    return this.snapshot(await this.defaultAgent(route.workspaceId, route.direction));
  }

  private async defaultAgent(workspaceId: string, direction: 'inbound' | 'outbound'): Promise<string> {
    const id = await this.cached(this.defaults, `${workspaceId}:${direction}`, () =>
      this.agents.findDefault(workspaceId, direction),
    );
    if (!id) throw notFound(`default ${direction} agent for workspace`, workspaceId);
    return id;
  }

  private async snapshot(agentId: string): Promise<AgentSnapshot> {
    const snap = await this.cached(this.snapshots, agentId, () => this.agents.loadSnapshot(agentId));
    if (!snap) throw new AppError('not_found', `agent ${agentId} not found or has no published version`);
    return snap;
  }

  private async cached<T>(
    map: Map<string, Entry<T>>,
    key: string,
    load: () => Promise<T | null>,
  ): Promise<T | null> {
    const hit = map.get(key);
    const now = this.now();
    if (hit && hit.expiresAt > now) return hit.value;
    const gen = this.generation;
    const value = await load();
    if (value !== null && gen === this.generation) map.set(key, { value, expiresAt: now + this.ttlMs });
    return value;
  }
}

export interface CallDetails {
  callId: string;
  direction: 'inbound' | 'outbound';
  from: string;
  to: string;
  connector: string;
  variables?: Record<string, string>;
}

/**
 * Applies a per-call configuration URL (like Vapi's assistant-request): POSTs the call's details,
 * merges the returned `{ config?, variables? }` overrides into the published version. Any failure
 * (timeout, non-2xx, invalid document) falls back to the published version and is reported.
 */
export async function applyCallOverrides(
  agent: ResolvedAgent,
  call: CallDetails,
  options: { timeoutMs: number; logger?: Logger; fetchImpl?: typeof fetch },
): Promise<{
  snapshot: AgentSnapshot;
  variables: Record<string, string>;
  overridden: boolean;
  error?: string;
}> {
  const url = agent.configUrl ?? agent.config.configUrl;
  const base = { snapshot: agent, variables: call.variables ?? {}, overridden: false };
  if (!url) return base;
  const doFetch = options.fetchImpl ?? fetch;
  try {
    const res = await doFetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        type: 'call.config-request',
        call,
        agent: { id: agent.agentId, version: agent.version, name: agent.name },
      }),
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    if (!res.ok) throw new Error(`config URL answered HTTP ${res.status}`);
    const body = (await res.json()) as { config?: unknown; variables?: Record<string, unknown> };
    const merged = agentConfigSchema.safeParse(mergeConfig(agent.config, body.config ?? {}));
    if (!merged.success) {
      const first = merged.error.issues[0];
      throw new Error(
        `config URL returned an invalid override at ${first?.path.join('.')}: ${first?.message}`,
      );
    }
    const variables = { ...base.variables };
    for (const [k, v] of Object.entries(body.variables ?? {})) if (typeof v === 'string') variables[k] = v;
    return {
      snapshot: Object.freeze({ ...agent, config: merged.data }),
      variables,
      overridden: true,
    };
  } catch (e) {
    // A refused target says why (the network policy), not only `fetch failed`.
    const refused = outboundRefusal(e);
    const error = refused
      ? `config URL refused: ${refused.message}`
      : e instanceof Error
        ? e.name === 'TimeoutError'
          ? 'config URL timed out'
          : e.message
        : String(e);
    options.logger?.warn(
      { agentId: agent.agentId, callId: call.callId, error },
      'per-call config failed; using published version',
    );
    return { ...base, error };
  }
}
