export interface Call {
  id: string;
  agentId: string | null;
  agentVersion: number | null;
  direction: 'inbound' | 'outbound';
  connector: string;
  from: string;
  to: string;
  status: string;
  statusProgression: { status: string; at: string }[];
  outcome: string | null;
  endedReason: string | null;
  hasRecording: boolean;
  error: string | null;
  queuedAt: string;
  startedAt: string | null;
  answeredAt: string | null;
  endedAt: string | null;
  durationMs: number | null;
  createdAt: string;
  variables: Record<string, string>;
  providersUsed: Record<string, string>;
  customCallId: string | null;
}

export const OUTCOMES = [
  'completed',
  'busy',
  'no-answer',
  'failed',
  'voicemail',
  'cancelled',
  'transferred',
] as const;
export const STATUSES = ['queued', 'ringing', 'in-progress', 'ended'] as const;

export function outcomeTone(outcome: string | null): string {
  if (outcome === 'completed' || outcome === 'transferred') return 'ok';
  if (outcome === 'failed') return 'danger';
  if (outcome === null) return 'info';
  return 'warn';
}
