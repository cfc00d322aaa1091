/** Why a new inbound call is turned away before it starts. */
export type CallRefusal = 'capacity' | 'draining';

/** One call's hold on the process's capacity. `release` may be called any number of times. */
export interface CallSlot {
  release(): void;
}

export interface CallSlotStats {
  /** The cap (`MAX_CONCURRENT_CALLS`); 0 = none. */
  max: number;
  /** Slots held now: live calls plus calls admitted and still starting. */
  inUse: number;
  /** Inbound calls refused since start, by reason. */
  refused: Readonly<Record<CallRefusal, number>>;
}

/**
 * The per-process call cap. A slot is taken synchronously when a call is admitted (before
 * anything awaits, so two calls arriving together cannot both take the last slot) and given back
 * exactly once, however the call ends. Outbound calls take a slot too, so the cap reflects what
 * the process carries, but they are never refused: the callee has already been rung.
 */
export class CallSlots {
  readonly #max: number;
  #inUse = 0;
  readonly #refused: Record<CallRefusal, number> = { capacity: 0, draining: 0 };

  constructor(max: number) {
    if (!Number.isInteger(max) || max < 0) throw new RangeError(`max must be a whole number ≥ 0, got ${max}`);
    this.#max = max;
  }

  get stats(): CallSlotStats {
    return { max: this.#max, inUse: this.#inUse, refused: { ...this.#refused } };
  }

  /** True when no further inbound call fits. */
  get full(): boolean {
    return this.#max > 0 && this.#inUse >= this.#max;
  }

  /** Counts one refused call (whoever refused it: a connector's intake or the runner). */
  refused(reason: CallRefusal): CallRefusal {
    this.#refused[reason]++;
    return reason;
  }

  /** A slot, or `capacity` (counted) when the cap is reached; `force` takes one regardless. */
  take(opts: { force?: boolean } = {}): CallSlot | 'capacity' {
    if (!opts.force && this.full) {
      this.refused('capacity');
      return 'capacity';
    }
    this.#inUse++;
    let held = true;
    return {
      release: () => {
        if (!held) return;
        held = false;
        this.#inUse--;
      },
    };
  }
}
