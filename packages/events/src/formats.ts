import { AVR_EVENT_TYPES, EXTERNAL_UPDATE_STATUS_BY_EVENT } from './event-types.js';
import type { WebhookFormat } from './tables.js';

/** One stored event, as the formatters see it. */
export interface StoredEvent {
  eventId: string;
  type: string;
  workspaceId: string;
  callId: string;
  createdAt: Date;
  payload: Record<string, unknown>;
}

/** Makes a recording link for a call (signed and expiring); absent when links are not configured. */
export type RecordingUrl = ((callId: string) => string) | undefined;

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Switchboard's own envelope: `{ id, type, createdAt, workspaceId, data }`. */
export function switchboardEnvelope(e: StoredEvent, recordingUrl: RecordingUrl) {
  const data: Record<string, unknown> = { ...e.payload };
  if (e.type === 'call.ended') {
    // A recording kept where the call ran (Vapi) is linked as it is; ours get a fresh signed link.
    data.recordingUrl =
      data.hasRecording === true && recordingUrl ? recordingUrl(e.callId) : (str(data.recordingUrl) ?? null);
  }
  return {
    id: e.eventId,
    type: e.type,
    createdAt: e.createdAt.toISOString(),
    workspaceId: e.workspaceId,
    data,
  };
}

/**
 * AVR's envelope `{ uuid, type, timestamp, payload }` with AVR's payloads exactly
 * (protocols-avr.md §3.7), so an AVR receiver works unchanged.
 */
export function avrEnvelope(e: StoredEvent) {
  const type = AVR_EVENT_TYPES[e.type];
  if (!type) return null;
  let payload: Record<string, unknown> = {};
  if (e.type === 'transcript.final') {
    payload = { role: e.payload.role === 'caller' ? 'user' : 'agent', text: str(e.payload.text) ?? '' };
  } else if (e.type === 'dtmf.received') {
    payload = { digit: str(e.payload.digit) ?? '' };
  }
  return { uuid: e.callId, type, timestamp: e.createdAt.toISOString(), payload };
}

/** One item of the external-updates batch array, shared by what we send and what we accept. */
export interface ExternalUpdateItem {
  call_id: string;
  campaign_id: string | null;
  phone_number: string | null;
  status: string;
  call_outcome: string | null;
  duration_seconds: number | null;
  start_time: string | null;
  end_time: string | null;
  recording_url: string | null;
  recording_status: string | null;
  transcript: { role: string; text: string }[] | string | null;
  variables: Record<string, string>;
  agent_name: string | null;
  data_source: string | null;
  queue_job_id: string | null;
  status_progression: { status: string; at: string }[];
  error: string | null;
}

export function externalUpdateItem(e: StoredEvent, recordingUrl: RecordingUrl): ExternalUpdateItem | null {
  const status = EXTERNAL_UPDATE_STATUS_BY_EVENT[e.type];
  if (!status) return null;
  const p = e.payload;
  const ext = (p.external ?? {}) as Record<string, unknown>;
  const durationMs = num(p.durationMs);
  const hasRecording = p.hasRecording === true;
  const transcript = Array.isArray(p.transcript)
    ? (p.transcript as { role?: unknown; text?: unknown }[]).map((t) => ({
        role: String(t.role),
        text: String(t.text),
      }))
    : null;
  return {
    call_id: str(p.customCallId) ?? str(p.externalId) ?? e.callId,
    campaign_id: str(ext.campaignId) ?? str(p.campaignId),
    phone_number: p.direction === 'inbound' ? str(p.from) : str(p.to),
    status,
    call_outcome: str(p.outcome),
    duration_seconds: durationMs === null ? null : Math.round(durationMs / 1000),
    start_time: str(p.startedAt),
    end_time: str(p.endedAt),
    recording_url: hasRecording && recordingUrl ? recordingUrl(e.callId) : str(p.recordingUrl),
    recording_status: e.type === 'call.ended' ? (hasRecording ? 'available' : 'none') : null,
    transcript,
    variables: (p.variables ?? {}) as Record<string, string>,
    agent_name: str(p.agentName),
    data_source: str(ext.dataSource) ?? 'switchboard',
    queue_job_id: str(ext.queueJobId),
    status_progression: Array.isArray(p.statusProgression)
      ? (p.statusProgression as { status: string; at: string }[])
      : [],
    error: str(p.error),
  };
}

/** The body for one delivery in the webhook's format; null when the format has no such event. */
export function formatBody(format: WebhookFormat, e: StoredEvent, recordingUrl: RecordingUrl): string | null {
  if (format === 'avr') {
    const b = avrEnvelope(e);
    return b ? JSON.stringify(b) : null;
  }
  if (format === 'external-updates') {
    const item = externalUpdateItem(e, recordingUrl);
    return item ? JSON.stringify([item]) : null;
  }
  return JSON.stringify(switchboardEnvelope(e, recordingUrl));
}
