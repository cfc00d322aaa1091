/**
 * Vapi's server messages (protocols.md §8) read into our terms: who may send them, which of our
 * calls a Vapi call is, how a Vapi call ended, and what was said. Pure functions; the ingest
 * applies them.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import {
  type CallDirection,
  type CallOutcome,
  type EndedReason,
  farEndHangup,
  type TranscriptEntry,
} from '@switchboard/core';
import { VAPI_SECRET_HEADER } from './assistant.js';

/** Vapi's HMAC credential signs the raw body with HMAC-SHA256, hex, in this header. */
export const VAPI_SIGNATURE_HEADER = 'x-vapi-signature';

type Headers = Record<string, string | string[] | undefined>;
type Rec = Record<string, unknown>;

const same = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};
const header = (h: Headers, name: string) => {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
};

/**
 * A message is Vapi's when it carries the workspace's secret, as the `x-vapi-secret` header the
 * assistants are synced with (also Vapi's legacy server secret), or as an HMAC-SHA256 signature of
 * the raw body in `x-vapi-signature` (`sha256=` prefix accepted).
 */
export function verifyVapiMessage(headers: Headers, rawBody: string, secret: string): boolean {
  const given = header(headers, VAPI_SECRET_HEADER);
  if (given) return same(given, secret);
  const signature = header(headers, VAPI_SIGNATURE_HEADER)?.replace(/^sha256=/, '');
  if (!signature) return false;
  return same(signature.toLowerCase(), createHmac('sha256', secret).update(rawBody).digest('hex'));
}

/** Our call id for a Vapi call: the same in every process and for every message, so no lookup races. */
export function vapiCallId(workspaceId: string, vapiCallId: string): string {
  const h = createHash('sha256').update(`vapi:${workspaceId}:${vapiCallId}`).digest('hex');
  // Shaped as a version 4, variant 1 UUID so it passes every uuid check.
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${((Number.parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function callDirection(call: Rec | undefined): CallDirection {
  return call?.type === 'outboundPhoneCall' ? 'outbound' : 'inbound';
}

/**
 * How a Vapi call ended in our vocabulary. Reasons we have no name for are kept verbatim (the
 * column is text), with outcome `failed` for Vapi's error families and `completed` otherwise.
 */
export function endedReasonOf(
  reason: string | undefined,
  direction: CallDirection,
): { outcome: CallOutcome; endedReason: EndedReason; error?: string } {
  switch (reason) {
    case 'customer-ended-call':
      return { outcome: 'completed', endedReason: farEndHangup(direction) };
    case 'assistant-ended-call':
    case 'assistant-said-end-call-phrase':
    case 'assistant-ended-call-after-message-spoken':
      return { outcome: 'completed', endedReason: 'agent-ended' };
    case 'assistant-forwarded-call':
      return { outcome: 'completed', endedReason: 'transfer' };
    case 'customer-busy':
      return { outcome: 'busy', endedReason: 'busy' };
    case 'customer-did-not-answer':
      return { outcome: 'no-answer', endedReason: 'no-answer' };
    case 'exceeded-max-duration':
      return { outcome: 'completed', endedReason: 'max-duration' };
    case 'silence-timed-out':
      return { outcome: 'completed', endedReason: 'silence-timeout' };
    case 'voicemail':
      return { outcome: 'voicemail', endedReason: 'machine-detected' };
    case 'manually-canceled':
      return { outcome: 'cancelled', endedReason: 'cancelled' };
    case undefined:
      return { outcome: 'completed', endedReason: farEndHangup(direction) };
    default:
      if (/error|fail/i.test(reason)) {
        return { outcome: 'failed', endedReason: reason as EndedReason, error: `Vapi: ${reason}` };
      }
      return { outcome: 'completed', endedReason: reason as EndedReason };
  }
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);

/** The report's messages as our transcript (system and tool messages left out). */
export function reportTranscript(message: Rec): TranscriptEntry[] {
  const artifact = (message.artifact ?? {}) as Rec;
  const messages = (Array.isArray(artifact.messages) ? artifact.messages : message.messages) as
    | Rec[]
    | undefined;
  if (Array.isArray(messages) && messages.length > 0) {
    return messages.flatMap((m) => {
      const text = str(m.message) ?? str(m.content);
      if (!text || (m.role !== 'user' && m.role !== 'bot' && m.role !== 'assistant')) return [];
      const startMs = typeof m.secondsFromStart === 'number' ? Math.round(m.secondsFromStart * 1000) : 0;
      const duration = typeof m.duration === 'number' ? Math.round(m.duration) : undefined;
      return [
        {
          role: m.role === 'user' ? ('caller' as const) : ('agent' as const),
          text,
          startMs,
          ...(duration !== undefined ? { endMs: startMs + duration } : {}),
        },
      ];
    });
  }
  // Only the flat text: "AI: …\nUser: …" lines.
  const flat = str(artifact.transcript) ?? str(message.transcript);
  if (!flat) return [];
  return flat.split('\n').flatMap((line) => {
    const m = /^(AI|User|Assistant|Bot):\s*(.+)$/i.exec(line.trim());
    if (!m) return [];
    return [
      { role: /^user$/i.test(m[1]!) ? ('caller' as const) : ('agent' as const), text: m[2]!, startMs: 0 },
    ];
  });
}

/** The report's recording link: the current nested shape first, then the older top-level ones. */
export function reportRecordingUrl(message: Rec): string | undefined {
  const artifact = (message.artifact ?? {}) as Rec;
  const recording = (artifact.recording ?? {}) as Rec;
  const mono = (recording.mono ?? {}) as Rec;
  return (
    str(artifact.recordingUrl) ??
    str(mono.combinedUrl) ??
    str(artifact.stereoRecordingUrl) ??
    str(recording.stereoUrl) ??
    str(message.recordingUrl) ??
    str(message.stereoRecordingUrl)
  );
}

export function timeOf(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') return undefined;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : t;
}
