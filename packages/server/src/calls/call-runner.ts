import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type AgentConfig,
  type CallEvent,
  type CallEventBus,
  type EndedReason,
  type Logger,
  newId,
  type OutboundGuard,
} from '@switchboard/core';
import {
  type BuiltinTool,
  type CallLeg,
  type CallResult,
  CallSession,
  ChatSession,
  type ProviderFactory,
  type VadFactory,
} from '@switchboard/engine';
import { applyCallOverrides, type ResolvedAgent, type Route, type Store } from '@switchboard/store';
import type { RedisCallDirectory } from './call-directory.js';
import { type CallRefusal, type CallSlot, CallSlots } from './call-slots.js';
import type { EmbedderFor } from './knowledge-embedding.js';
import { knowledgeSource } from './knowledge-source.js';

export interface CallRunnerOptions {
  store: Store;
  bus: CallEventBus;
  providers: ProviderFactory;
  logger: Logger;
  dataDir: string;
  configUrlTimeoutMs: number;
  /** Per-call config URLs and HTTP tools (the agent's own URLs) go through it. */
  outbound: OutboundGuard;
  vadFactory?: VadFactory;
  /** A synthesiser needing nothing outside the process, for "this line is unavailable". */
  unavailableTts?: string;
  /** Tools the platform offers a call or chat beside the agent's own (the home tools), built per call. */
  platformTools?: (ctx: { workspaceId: string; callId: string; config: AgentConfig }) => BuiltinTool[];
  /** `MAX_CONCURRENT_CALLS`: inbound calls beyond it are refused; 0 or unset = no cap. */
  maxConcurrentCalls?: number;
  /** Told when a call starts and ends here, so other processes know who runs it (Redis). */
  directory?: Pick<RedisCallDirectory, 'claim' | 'release'>;
  /** Embeds questions for the knowledge bases that have an embeddings model (hybrid search). */
  embedderFor?: EmbedderFor;
}

/** A new call turned away before it started: the process is full or shutting down. */
export class CallRefusedError extends Error {
  constructor(readonly reason: CallRefusal) {
    super(
      reason === 'draining' ? 'shutting down: not taking new calls' : 'at capacity: not taking new calls',
    );
    this.name = 'CallRefusedError';
  }
}

export interface StartedCall {
  callId: string;
  agent: ResolvedAgent;
  /** Resolves when the call has ended and its final event was published. */
  done: Promise<CallResult>;
}

export interface RunOptions {
  /** What answers: a number on a connector, an agent, or the workspace default. */
  route: Route;
  /** The platform's call id, when the caller (the dialer) created the row already. */
  callId?: string;
  variables?: Record<string, string>;
  /** Agent fields for this call only (`agentOverrides` of an outbound call), over the published version. */
  agentOverrides?: Record<string, unknown>;
  /** The slot the connector's intake took with `admit()`; without one, `start` takes its own. */
  slot?: CallSlot;
}

/**
 * Connects a leg from any connector to the agent that answers it: resolves the published version
 * (one resolver for every connector, so a publish reaches the next call everywhere), applies the
 * per-call config URL, and runs a CallSession whose events go to the bus. Tracks live calls so
 * shutdown can drain them.
 */
export class CallRunner {
  readonly #o: CallRunnerOptions;

  #knowledgeOption(workspaceId: string, config: AgentConfig) {
    const embedderFor = this.#o.embedderFor;
    const knowledge = knowledgeSource(
      this.#o.store,
      workspaceId,
      config,
      embedderFor ? { embedderFor, logger: this.#o.logger } : undefined,
    );
    return knowledge ? { knowledge } : {};
  }
  readonly #live = new Map<
    string,
    { session: CallSession; workspaceId: string; done: Promise<CallResult> }
  >();
  /** The agent document each live call or chat runs, for providers that read it (the answerer). */
  readonly #configs = new Map<string, AgentConfig>();
  readonly #problems = new Map<string, { message: string; at: Date }>();
  #draining = false;
  /** The per-process cap; every live or starting call holds one slot. */
  readonly slots: CallSlots;

  constructor(options: CallRunnerOptions) {
    this.#o = options;
    this.slots = new CallSlots(options.maxConcurrentCalls ?? 0);
  }

  /**
   * Why a new inbound call would be refused now, if it would (not counted: the intake that acts on
   * it counts with `slots.refused`). For checks ahead of the call, such as a carrier's webhook.
   */
  admission(): CallRefusal | undefined {
    if (this.#draining) return 'draining';
    return this.slots.full ? 'capacity' : undefined;
  }

  /**
   * Takes a slot for a new inbound call before it is answered (pass it to `start`), or says why
   * not; a refusal is counted. The caller releases the slot if it refuses the call for another reason.
   */
  admit(): CallSlot | CallRefusal {
    if (this.#draining) return this.slots.refused('draining');
    return this.slots.take();
  }

  get activeCalls(): number {
    return this.#live.size;
  }

  /** The ids of the calls running now (for the heartbeat that marks them alive). */
  liveCallIds(): string[] {
    return [...this.#live.keys()];
  }

  /** True once shutdown began: new calls are refused. */
  get draining(): boolean {
    return this.#draining;
  }

  /** Refuses new calls from now on; live calls go on. */
  stopTaking(): void {
    this.#draining = true;
  }

  /** The session of a call of `workspaceId` running in this process. */
  session(callId: string, workspaceId: string): CallSession | undefined {
    const live = this.#live.get(callId);
    return live?.workspaceId === workspaceId ? live.session : undefined;
  }

  /** The configuration a running call or chat uses (with per-call overrides applied). */
  configFor(callId: string): AgentConfig | undefined {
    return this.#configs.get(callId);
  }

  /**
   * Starts the call. Rejects (and hangs the leg up) when nothing answers the route; after that,
   * every outcome — including provider failures — arrives through `done` and the bus.
   */
  async start(leg: CallLeg, options: RunOptions): Promise<StartedCall> {
    // Taken before anything awaits, so calls arriving together cannot overfill the process.
    const slot = this.#slotFor(leg, options.slot);
    if (typeof slot === 'string') {
      await leg.hangup(slot === 'draining' ? 'shutdown' : 'busy').catch(() => {});
      throw new CallRefusedError(slot);
    }
    try {
      return await this.#start(leg, options, slot);
    } catch (e) {
      slot.release();
      throw e;
    }
  }

  #slotFor(leg: CallLeg, given: CallSlot | undefined): CallSlot | CallRefusal {
    if (this.#draining) {
      given?.release();
      return this.slots.refused('draining');
    }
    return given ?? this.slots.take({ force: leg.direction === 'outbound' });
  }

  async #start(leg: CallLeg, options: RunOptions, slot: CallSlot): Promise<StartedCall> {
    const { store, logger } = this.#o;
    let agent: ResolvedAgent;
    try {
      agent = await store.resolver.resolveAgent(options.route);
    } catch (e) {
      logger.warn({ connector: leg.connector, err: (e as Error).message }, 'no agent answers this call');
      await leg.hangup('rejected').catch(() => {});
      throw e;
    }
    const callId = options.callId ?? newId();
    const log = logger.child({ callId, agentId: agent.agentId, connector: leg.connector });
    if (options.agentOverrides) agent = await this.#withOverrides(agent, callId, options.agentOverrides, log);
    const overrides = await applyCallOverrides(
      agent,
      {
        callId,
        direction: leg.direction,
        from: leg.from,
        to: leg.to,
        connector: leg.connector,
        ...(options.variables ? { variables: options.variables } : {}),
      },
      { timeoutMs: this.#o.configUrlTimeoutMs, logger: log, fetchImpl: this.#o.outbound.fetch },
    );
    const recordingDir = join(this.#o.dataDir, 'recordings', agent.workspaceId);
    await mkdir(recordingDir, { recursive: true, mode: 0o700 });
    const session = new CallSession({
      leg,
      snapshot: overrides.snapshot,
      providers: this.#o.providers,
      emit: (event: CallEvent) => this.#o.bus.publish(event),
      callId,
      recordingDir,
      variables: overrides.variables,
      logger: log,
      resolveSecret: (credentialId) =>
        store.credentials.reveal(agent.workspaceId, credentialId).catch(() => undefined),
      fetch: this.#o.outbound.fetch,
      ...(this.#o.vadFactory ? { vadFactory: this.#o.vadFactory } : {}),
      ...(this.#o.unavailableTts ? { unavailableTts: this.#o.unavailableTts } : {}),
      ...this.#knowledgeOption(overrides.snapshot.workspaceId, overrides.snapshot.config),
      ...this.#platformTools(overrides.snapshot.workspaceId, callId, overrides.snapshot.config),
    });
    this.#configs.set(callId, overrides.snapshot.config);
    log.info(
      { direction: leg.direction, agentVersion: agent.version, pii: { from: leg.from, to: leg.to } },
      'call started',
    );
    const done = session
      .start()
      .then((r) => {
        log.info(
          {
            outcome: r.outcome,
            endedReason: r.endedReason,
            durationMs: r.durationMs,
            turns: r.latencies.length,
          },
          'call ended',
        );
        this.#noteProviders(r);
        return r;
      })
      .finally(() => {
        slot.release();
        this.#live.delete(callId);
        this.#configs.delete(callId);
        this.#o.directory?.release(callId);
      });
    this.#live.set(callId, { session, workspaceId: agent.workspaceId, done });
    this.#o.directory?.claim(callId);
    done.catch((err: unknown) => log.error({ err }, 'call session failed'));
    return { callId, agent: overrides.snapshot as ResolvedAgent, done };
  }

  /**
   * The published version with the call's own overrides merged in, kept on the call's row. They
   * were valid when the call was queued; should a later publish make them invalid, the call runs
   * the published version, and that is the document its row keeps.
   */
  async #withOverrides(
    agent: ResolvedAgent,
    callId: string,
    overrides: Record<string, unknown>,
    log: Logger,
  ): Promise<ResolvedAgent> {
    const { store } = this.#o;
    try {
      const config = await store.agents.withOverrides(
        agent.workspaceId,
        agent.config,
        overrides,
        'agentOverrides',
      );
      await store.calls.setAgentConfig(callId, config).catch((e: unknown) => {
        log.warn(
          { err: e instanceof Error ? e.message : String(e) },
          'could not keep the merged agent config',
        );
      });
      return Object.freeze({ ...agent, config });
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      log.warn({ err: message }, 'agent overrides no longer valid; running the published version');
      await store.calls.setAgentConfig(callId, agent.config).catch(() => {});
      return agent;
    }
  }

  /**
   * Providers whose last call could not start, for readiness: an operator sees "asr provider
   * local:pocketsphinx: needs the system binary …" without reading logs. A later call that starts
   * on the same provider clears it.
   */
  providerProblems(): { provider: string; message: string; at: Date }[] {
    return [...this.#problems.entries()].map(([provider, p]) => ({ provider, ...p }));
  }

  #noteProviders(r: CallResult): void {
    for (const ref of Object.values(r.providers)) if (ref) this.#problems.delete(ref);
    const f = r.startFailure;
    if (f) {
      this.#problems.set(f.provider ?? 'unknown provider', { message: f.message, at: new Date() });
      // Bounded: a workspace cycling through broken providers cannot grow this without end.
      if (this.#problems.size > 50) this.#problems.delete(this.#problems.keys().next().value as string);
    }
  }

  #platformTools(workspaceId: string, callId: string, config: AgentConfig) {
    const tools = this.#o.platformTools?.({ workspaceId, callId, config }) ?? [];
    return tools.length > 0 ? { platformTools: tools } : {};
  }

  /** A text conversation with an agent's published version, or with its draft to try edits. */
  async chat(
    workspaceId: string,
    agentId: string,
    opts: { draft?: boolean; variables?: Record<string, string> } = {},
  ) {
    const { store } = this.#o;
    const snapshot = opts.draft
      ? await store.agents.get(workspaceId, agentId).then((a) => ({
          agentId: a.id,
          workspaceId,
          name: a.name,
          version: a.currentVersion ?? 0,
          config: a.draft,
        }))
      : await store.resolver.resolveAgent({ agentId, workspaceId });
    const callId = `chat-${newId()}`;
    this.#configs.set(callId, snapshot.config);
    const chat = await ChatSession.create({
      snapshot,
      callId,
      providers: this.#o.providers,
      ...(opts.variables ? { variables: opts.variables } : {}),
      logger: this.#o.logger.child({ agentId, mode: 'chat' }),
      resolveSecret: (credentialId) =>
        store.credentials.reveal(workspaceId, credentialId).catch(() => undefined),
      fetch: this.#o.outbound.fetch,
      ...this.#knowledgeOption(workspaceId, snapshot.config),
      ...this.#platformTools(workspaceId, callId, snapshot.config),
    }).catch((e: unknown) => {
      this.#configs.delete(callId);
      throw e;
    });
    const close = chat.close.bind(chat);
    chat.close = async () => {
      this.#configs.delete(callId);
      await close();
    };
    return chat;
  }

  /**
   * Stops taking calls and waits for live ones until `deadline` (epoch ms); then ends what is left
   * with `reason`: the agent's goodbye line (or a short notice) is spoken, then each connector
   * hangs up on its own wire; waits up to `hangupMs` in all for those calls to publish their
   * `call.ended`.
   */
  async drain(deadline: number, hangupMs: number, reason: EndedReason = 'shutdown'): Promise<void> {
    this.#draining = true;
    const all = [...this.#live.values()];
    if (all.length === 0) return;
    this.#o.logger.info({ calls: all.length }, 'waiting for live calls to end');
    const settled = (calls: { done: Promise<CallResult> }[]) =>
      Promise.allSettled(calls.map((c) => c.done)).then(() => 'done' as const);
    if ((await raceTimeout(settled(all), deadline - Date.now())) === 'done') return;
    const left = [...this.#live.entries()];
    this.#o.logger.warn({ calls: left.length }, 'grace over; hanging up the calls still live');
    // Most of the allowance for the spoken line; the rest for the hang-up, recording and events.
    const sayMs = Math.max(0, hangupMs - Math.min(2000, Math.floor(hangupMs / 2)));
    await raceTimeout(
      (async () => {
        for (const [callId, c] of left) {
          const line = this.#configs.get(callId)?.goodbyeMessage || SHUTDOWN_LINE;
          void c.session.endWithGoodbye(reason, line, sayMs);
        }
        return settled(left.map(([, c]) => c));
      })(),
      hangupMs,
    );
    // A line that would not end (a stalled provider) does not hold the exit: cut what is left.
    for (const c of this.#live.values()) c.session.end(reason);
  }
}

/** Said to callers still on the line when the process stops, if their agent has no goodbye line. */
export const SHUTDOWN_LINE = 'Sorry, this line is closing now. Please call again. Goodbye.';

/** `work`'s result, or 'timeout' after `ms` (the timer is cleared either way). */
async function raceTimeout<T>(work: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((r) => {
    timer = setTimeout(() => r('timeout'), Math.max(0, ms));
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
