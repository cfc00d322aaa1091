import type { CallOutcome, EndedReason } from '@switchboard/core';
import type { CallPlacer, Clock, PlaceRequest, PlaceResult } from './types.js';
import { sleep, systemClock } from './types.js';

/** What the fake carrier does with one call. */
export type Script =
  | { kind: 'answer'; durationMs?: number; outcome?: CallOutcome; endedReason?: EndedReason }
  | { kind: 'busy' }
  | { kind: 'no-answer'; afterMs?: number }
  | { kind: 'failed' }
  | { kind: 'voicemail' }
  /** Never resolves on its own: carrier silence. Honours the abort signal only if `honourAbort`. */
  | { kind: 'hang'; honourAbort?: boolean }
  | { kind: 'throw'; message?: string };

export interface Placement {
  callId: string;
  to: string;
  from: string;
  connector: string;
  variables: Record<string, string>;
  agentOverrides?: Record<string, unknown>;
  /** Clock time when `place` was called. */
  at: number;
}

/**
 * A CallPlacer for tests and benchmarks: records every placement and plays a script per call
 * (by destination number, else the default), answering instantly unless told otherwise.
 */
export class FakeCarrier implements CallPlacer {
  readonly placements: Placement[] = [];
  private readonly byNumber = new Map<string, Script | Script[]>();
  private active = 0;
  maxActive = 0;

  constructor(
    private defaultScript: Script = { kind: 'answer' },
    private readonly clock: Clock = systemClock,
  ) {}

  /** Scripts one destination; an array plays one entry per attempt, repeating the last. */
  script(to: string, s: Script | Script[]): this {
    this.byNumber.set(to, s);
    return this;
  }

  setDefault(s: Script): this {
    this.defaultScript = s;
    return this;
  }

  get inFlight(): number {
    return this.active;
  }

  async place(req: PlaceRequest, signal: AbortSignal): Promise<PlaceResult> {
    const attempt = this.placements.filter((p) => p.to === req.to).length;
    this.placements.push({
      callId: req.callId,
      to: req.to,
      from: req.from,
      connector: req.connector,
      variables: req.variables,
      ...(req.agentOverrides ? { agentOverrides: req.agentOverrides } : {}),
      at: this.clock.now(),
    });
    const entry = this.byNumber.get(req.to) ?? this.defaultScript;
    const s = Array.isArray(entry)
      ? (entry[Math.min(attempt, entry.length - 1)] ?? this.defaultScript)
      : entry;
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    try {
      return await this.play(s, signal);
    } finally {
      this.active--;
    }
  }

  private async play(s: Script, signal: AbortSignal): Promise<PlaceResult> {
    const cancelled: PlaceResult = { outcome: 'cancelled', endedReason: 'cancelled', answered: false };
    switch (s.kind) {
      case 'answer':
        if (s.durationMs) await sleep(this.clock, s.durationMs, signal);
        if (signal.aborted) return { ...cancelled, answered: true };
        return {
          outcome: s.outcome ?? 'completed',
          endedReason: s.endedReason ?? 'agent-ended',
          answered: true,
        };
      case 'busy':
        return { outcome: 'busy', endedReason: 'busy', answered: false };
      case 'no-answer':
        if (s.afterMs) await sleep(this.clock, s.afterMs, signal);
        return signal.aborted
          ? cancelled
          : { outcome: 'no-answer', endedReason: 'no-answer', answered: false };
      case 'failed':
        return { outcome: 'failed', endedReason: 'connector-error', answered: false };
      case 'voicemail':
        return { outcome: 'voicemail', endedReason: 'agent-ended', answered: true };
      case 'hang':
        return new Promise((resolve) => {
          if (s.honourAbort) signal.addEventListener('abort', () => resolve(cancelled), { once: true });
        });
      case 'throw':
        throw new Error(s.message ?? 'carrier rejected the call');
    }
  }

  /** Call ids placed more than once: must stay empty. */
  duplicates(): string[] {
    const seen = new Set<string>();
    const dup = new Set<string>();
    for (const p of this.placements) {
      if (seen.has(p.callId)) dup.add(p.callId);
      seen.add(p.callId);
    }
    return [...dup];
  }
}
