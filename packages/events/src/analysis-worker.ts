import { randomUUID } from 'node:crypto';
import {
  type AgentConfig,
  agentConfigSchema,
  analysisEnabled,
  type CallAnalysis,
  type Logger,
  type TranscriptEntry,
} from '@switchboard/core';
import type { Db, Store } from '@switchboard/store';
import { type RetrySchedule, retryDelayMs } from './backoff.js';
import { OutboxWriter } from './outbox-writer.js';
import { ANALYSIS_CHANNEL, AnalysesRepo, type ClaimedAnalysis } from './repos/analyses.js';
import { CallStoryRepo } from './repos/call-story.js';
import { errorFields, truncate } from './util.js';

/** What the analyst is given for one call. */
export interface AnalysisJob {
  callId: string;
  workspaceId: string;
  agentId: string;
  agentVersion: number;
  /** The agent version that ran the call. */
  config: AgentConfig;
  transcript: TranscriptEntry[];
  variables: Record<string, string>;
}

/**
 * Produces the analysis (the composition root runs the agent's LLM through the engine). Throws
 * to have the attempt retried.
 */
export type Analyst = (job: AnalysisJob, signal: AbortSignal) => Promise<CallAnalysis>;

export interface AnalysisWorkerOptions {
  store: Store;
  logger: Logger;
  analyze: Analyst;
  /** Shared with the recorder so call.analyzed reaches the same targets (MQTT included). */
  outbox?: OutboxWriter;
  /** Attempts before the analysis is given up and call.analyzed reports the error. */
  maxAttempts?: number;
  schedule?: Partial<RetrySchedule>;
  /** One attempt's time limit; the lease outlasts it. */
  timeoutMs?: number;
  /** Analyses run at once by this worker (each is one LLM request). */
  concurrency?: number;
  pollIntervalMs?: number;
  now?: () => number;
  random?: () => number;
  id?: string;
}

const DEFAULT_SCHEDULE: RetrySchedule = {
  firstDelayMs: 30_000,
  factor: 4,
  maxDelayMs: 3600_000,
  jitter: 0.2,
  retryForMs: 24 * 3600_000,
};

/** A failure no retry will fix (the agent version is gone or no longer valid). */
class PermanentFailure extends Error {}

/**
 * Runs post-call analysis queued by the recorder. Each result is written in one transaction with
 * its call.analyzed story event and outbox rows, guarded by the lease, so a call is reported
 * analysed exactly once however many workers run and whenever one dies. Failed attempts are
 * retried with backoff; after the last one, call.analyzed carries the error so receivers waiting
 * for it are not left waiting.
 */
export class AnalysisWorker {
  readonly id: string;
  readonly stats = { attempted: 0, done: 0, retried: 0, failed: 0 };
  readonly #o: AnalysisWorkerOptions;
  readonly #repo: AnalysesRepo;
  readonly #outbox: OutboxWriter;
  readonly #schedule: RetrySchedule;
  readonly #now: () => number;
  readonly #timeoutMs: number;
  readonly #maxAttempts: number;
  #running = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #unlisten: (() => Promise<void>) | undefined;
  readonly #inFlight = new Set<AbortController>();

  constructor(options: AnalysisWorkerOptions) {
    this.#o = options;
    this.id = options.id ?? `analyst-${randomUUID()}`;
    this.#repo = new AnalysesRepo(options.store.database.db);
    this.#outbox = options.outbox ?? new OutboxWriter();
    this.#schedule = { ...DEFAULT_SCHEDULE, ...options.schedule };
    this.#now = options.now ?? Date.now;
    this.#timeoutMs = options.timeoutMs ?? 60_000;
    this.#maxAttempts = Math.max(1, options.maxAttempts ?? 4);
  }

  /** Claims due analyses and runs them; returns how many were claimed. */
  async tick(): Promise<number> {
    const leaseMs = this.#timeoutMs * 2;
    const claimed = await this.#repo.claim(this.id, new Date(this.#now()), leaseMs, this.#o.concurrency ?? 4);
    await Promise.all(claimed.map((a) => this.#run(a)));
    return claimed.length;
  }

  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    this.#unlisten = await this.#o.store.database.listen(ANALYSIS_CHANNEL, () => this.#wake?.());
    this.#loop = this.#runLoop();
  }

  /** Stops claiming and cancels analyses in flight (their leases run out; another worker retries). */
  async stop(): Promise<void> {
    this.#running = false;
    for (const c of this.#inFlight) c.abort(new Error('shutting down'));
    this.#wake?.();
    await this.#loop;
    await this.#unlisten?.();
    this.#unlisten = undefined;
  }

  async #runLoop(): Promise<void> {
    const poll = this.#o.pollIntervalMs ?? 2000;
    while (this.#running) {
      let claimed = 0;
      try {
        claimed = await this.tick();
      } catch (e) {
        this.#o.logger.warn(errorFields(e), 'analysis round failed; retrying');
      }
      if (!this.#running) break;
      if (claimed > 0) continue;
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

  async #run(a: ClaimedAnalysis): Promise<void> {
    this.stats.attempted++;
    const log = { callId: a.callId, attempt: a.attempts };
    const controller = new AbortController();
    this.#inFlight.add(controller);
    const timer = setTimeout(
      () => controller.abort(new Error(`analysis took longer than ${this.#timeoutMs} ms`)),
      this.#timeoutMs,
    );
    try {
      const job = await this.#job(a);
      const result = await this.#o.analyze(job, controller.signal);
      if (controller.signal.aborted) throw controller.signal.reason;
      await this.#finish(a, job.agentId, result, 'done');
      this.stats.done++;
    } catch (e) {
      if (!this.#running && this.#loop) return; // shutting down: the lease frees the row
      const message = truncate(errorFields(e).err.message);
      const permanent = e instanceof PermanentFailure;
      if (permanent || a.attempts >= this.#maxAttempts) {
        this.#o.logger.warn({ ...log, error: message }, 'post-call analysis failed for good');
        await this.#finish(a, a.agentId, { fields: {}, error: message }, 'failed').catch((err: unknown) =>
          this.#o.logger.warn({ ...log, ...errorFields(err) }, 'could not record analysis failure'),
        );
        this.stats.failed++;
      } else {
        const now = this.#now();
        const nextAt = new Date(now + retryDelayMs(this.#schedule, a.attempts, this.#o.random));
        this.#o.logger.info({ ...log, error: message, nextAt }, 'post-call analysis failed; will retry');
        await this.#repo
          .retry(a.callId, this.id, new Date(now), message, nextAt)
          .catch((err: unknown) =>
            this.#o.logger.warn({ ...log, ...errorFields(err) }, 'could not reschedule'),
          );
        this.stats.retried++;
      }
    } finally {
      clearTimeout(timer);
      this.#inFlight.delete(controller);
    }
  }

  async #job(a: ClaimedAnalysis): Promise<AnalysisJob> {
    if (!a.agentId || a.agentVersion === null || !a.config) {
      throw new PermanentFailure('the agent version that ran the call no longer exists');
    }
    const parsed = agentConfigSchema.safeParse(a.config);
    if (!parsed.success) throw new PermanentFailure('the agent version that ran the call is not valid');
    if (!analysisEnabled(parsed.data.analysis)) {
      throw new PermanentFailure('the agent version that ran the call asks for no analysis');
    }
    return {
      callId: a.callId,
      workspaceId: a.workspaceId,
      agentId: a.agentId,
      agentVersion: a.agentVersion,
      config: parsed.data,
      transcript: await this.#repo.transcript(a.callId),
      variables: a.variables,
    };
  }

  /** The result, its story event and its outbox rows, in one transaction under the lease. */
  async #finish(
    a: ClaimedAnalysis,
    agentId: string | null,
    result: CallAnalysis,
    status: 'done' | 'failed',
  ): Promise<void> {
    const now = new Date(this.#now());
    const data: CallAnalysis = {
      fields: result.fields,
      ...(result.summary !== undefined ? { summary: result.summary } : {}),
      ...(result.provider ? { provider: result.provider } : {}),
      ...(result.error ? { error: result.error } : {}),
    };
    await this.#o.store.database.db.transaction(async (t) => {
      const tx = t as Db;
      if (!(await this.#repo.finish(tx, a.callId, this.id, now, data, status))) {
        this.#o.logger.info({ callId: a.callId }, 'analysis lease lost; another worker reports it');
        return;
      }
      const story = await new CallStoryRepo(tx).appendStoryEvent(
        a.workspaceId,
        a.callId,
        'call.analyzed',
        now,
        data as unknown as Record<string, unknown>,
      );
      if (!story) return;
      await this.#outbox.append(tx, {
        type: 'call.analyzed',
        workspaceId: a.workspaceId,
        callId: a.callId,
        agentId: story.agentId ?? agentId,
        agentVersion: story.agentVersion,
        payload: { callId: a.callId, at: now.toISOString(), seq: story.seq, ...data },
      });
    });
  }
}
