import type { CallOutcome } from '@switchboard/core';
import type { CircuitBreaker, RetryPolicy } from './model.js';

export const DEFAULT_RETRY: RetryPolicy = {
  maxAttempts: 3,
  busyDelaySeconds: 300,
  noAnswerDelaySeconds: 1800,
  retryFailed: false,
  failedDelaySeconds: 600,
};

export const DEFAULT_BREAKER: CircuitBreaker = { window: 20, failureRatio: 0.8 };

export type ContactNext =
  | { status: 'done' }
  | { status: 'pending'; delayMs: number }
  | { status: 'cancelled' };

/** What happens to a campaign contact after one of its calls ended with `outcome`. */
export function nextForContact(outcome: CallOutcome, attempts: number, policy: RetryPolicy): ContactNext {
  const more = attempts < policy.maxAttempts;
  switch (outcome) {
    case 'completed':
    case 'voicemail':
    case 'transferred':
      return { status: 'done' };
    case 'busy':
      return more ? { status: 'pending', delayMs: policy.busyDelaySeconds * 1000 } : { status: 'done' };
    case 'no-answer':
      return more ? { status: 'pending', delayMs: policy.noAnswerDelaySeconds * 1000 } : { status: 'done' };
    case 'failed':
      return more && policy.retryFailed
        ? { status: 'pending', delayMs: policy.failedDelaySeconds * 1000 }
        : { status: 'done' };
    case 'cancelled':
      return { status: 'cancelled' };
  }
}

/** True when the most recent ended calls fail often enough to stop dialing. */
export function breakerTrips(recentOutcomes: string[], breaker: CircuitBreaker): boolean {
  if (recentOutcomes.length < breaker.window) return false;
  const failed = recentOutcomes.filter((o) => o === 'failed').length;
  return failed / recentOutcomes.length >= breaker.failureRatio;
}

const PLACEHOLDER = /\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g;

/** Placeholders the agent's texts use that it gives no default for: each call must supply them. */
export function requiredVariables(config: {
  systemPrompt: string;
  greeting?: string | undefined;
  goodbyeMessage?: string | undefined;
  variables: Record<string, string>;
}): string[] {
  const names = new Set<string>();
  for (const text of [config.systemPrompt, config.greeting, config.goodbyeMessage]) {
    for (const m of (text ?? '').matchAll(PLACEHOLDER)) if (m[1]) names.add(m[1]);
  }
  return [...names].filter((n) => !(n in config.variables)).sort();
}
