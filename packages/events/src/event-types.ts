import { CALL_EVENT_TYPES, type CallEventType } from '@switchboard/core';
import type { WebhookFormat } from './tables.js';

/**
 * Events only the live view carries: a durable, retried webhook per partial would flood receivers
 * and the outbox, and turn timings are stored with the call's end.
 */
export const LIVE_ONLY_EVENT_TYPES = ['transcript.partial', 'turn.latency'] as const;
type LiveOnly = (typeof LIVE_ONLY_EVENT_TYPES)[number];

/** Which events may be subscribed to: all but the live-only ones. */
export const SUBSCRIBABLE_EVENT_TYPES = CALL_EVENT_TYPES.filter(
  (t): t is Exclude<CallEventType, LiveOnly> => !(LIVE_ONLY_EVENT_TYPES as readonly string[]).includes(t),
);
export type SubscribableEventType = (typeof SUBSCRIBABLE_EVENT_TYPES)[number];

/** Agent-config `webhookUrl`s get the call's lifecycle, not every utterance. */
export const AGENT_WEBHOOK_EVENT_TYPES: readonly string[] = [
  'call.started',
  'call.answered',
  'call.ended',
  'call.analyzed',
];

/** MQTT gets every durable event by default. */
export const DEFAULT_MQTT_EVENT_TYPES: readonly string[] = SUBSCRIBABLE_EVENT_TYPES;

/** AVR's webhook vocabulary (protocols-avr.md §3.7); other events have no AVR equivalent. */
export const AVR_EVENT_TYPES: Readonly<Record<string, string>> = {
  'call.started': 'call_started',
  'transcript.final': 'transcription',
  'agent.interrupted': 'interruption',
  'dtmf.received': 'dtmf_digit',
  'call.ended': 'call_ended',
};

/** The external-updates batch reports status changes only. */
export const EXTERNAL_UPDATE_STATUS_BY_EVENT: Readonly<Record<string, string>> = {
  'call.ringing': 'ringing',
  'call.started': 'in-progress',
  'call.ended': 'ended',
};

export function formatCarries(format: WebhookFormat, type: string): boolean {
  if (format === 'avr') return type in AVR_EVENT_TYPES;
  if (format === 'external-updates') return type in EXTERNAL_UPDATE_STATUS_BY_EVENT;
  return true;
}
