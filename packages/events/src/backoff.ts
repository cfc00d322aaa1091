/**
 * When a failed delivery is tried again. Exponential with full-range jitter around the nominal
 * delay so a receiver that comes back is not hit by every retry at once. Deliveries keep being
 * retried until `retryForMs` has passed since the event, then they are dead-lettered.
 */
export interface RetrySchedule {
  firstDelayMs: number;
  factor: number;
  maxDelayMs: number;
  /** 0..1: the delay is scaled by a random factor in [1 - jitter, 1 + jitter]. */
  jitter: number;
  /** Keep retrying at least this long after the event was written. */
  retryForMs: number;
}

export const DEFAULT_RETRY_SCHEDULE: RetrySchedule = {
  firstDelayMs: 5_000,
  factor: 2,
  maxDelayMs: 3600_000,
  jitter: 0.2,
  retryForMs: 24 * 3600_000,
};

/** Delay before attempt `attempts + 1`, after `attempts` failures (attempts >= 1). */
export function retryDelayMs(schedule: RetrySchedule, attempts: number, random: () => number = Math.random) {
  const nominal = Math.min(
    schedule.maxDelayMs,
    schedule.firstDelayMs * schedule.factor ** Math.max(0, attempts - 1),
  );
  const scale = 1 - schedule.jitter + 2 * schedule.jitter * random();
  return Math.max(1, Math.round(nominal * scale));
}
