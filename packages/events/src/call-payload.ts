import type { TranscriptEntry, TurnLatency } from '@switchboard/core';
import type { CallRow } from './tables.js';

/** What every Switchboard payload says about the call it belongs to. */
export function callSummary(c: CallRow, agentName: string | null = null) {
  return {
    callId: c.id,
    agentId: c.agentId,
    agentName,
    agentVersion: c.agentVersion,
    direction: c.direction,
    connector: c.connector,
    from: c.fromNumber,
    to: c.toNumber,
    externalId: c.externalId,
    customCallId: c.customCallId,
    status: c.status,
    variables: c.variables,
    startedAt: c.startedAt?.toISOString() ?? null,
  };
}

export interface EndedExtras {
  transcript: TranscriptEntry[];
  latencies: TurnLatency[];
  agentName: string | null;
  /** Fields only an external runtime reports (campaign, queue job, source). */
  external?: Record<string, unknown>;
}

/**
 * call.ended carries the whole story in one message, so a receiver needs no follow-up call.
 * The recording URL is added when the payload is formatted for delivery: it is signed and
 * expires, so each attempt gets a fresh one.
 */
export function callEndedPayload(c: CallRow, extras: EndedExtras): Record<string, unknown> {
  return {
    ...callSummary(c, extras.agentName),
    statusProgression: c.statusProgression,
    outcome: c.outcome,
    endedReason: c.endedReason,
    queuedAt: c.queuedAt.toISOString(),
    answeredAt: c.answeredAt?.toISOString() ?? null,
    endedAt: c.endedAt?.toISOString() ?? null,
    durationMs: c.durationMs,
    transcript: extras.transcript,
    hasRecording: c.recordingPath !== null,
    ...(c.recordingUrl ? { recordingUrl: c.recordingUrl } : {}),
    latencies: extras.latencies,
    providers: c.providersUsed,
    error: c.error,
    ...(extras.external ? { external: extras.external } : {}),
  };
}
