/**
 * Vapi's server messages become our call events. A Vapi call is one of our calls under an id
 * derived from Vapi's, so every message and every process finds the same row; the row is created
 * once (the database refuses a second), and the rest flows through the event bus like any call
 * run here: the recorder writes the story and the outbox, webhooks deliver it, analysis follows.
 */
import {
  AppError,
  type CallEvent,
  type CallEventBus,
  type Logger,
  type TranscriptEntry,
} from '@switchboard/core';
import type { Call, CallsRepo, VapiRepo } from '@switchboard/store';
import {
  callDirection,
  endedReasonOf,
  reportRecordingUrl,
  reportTranscript,
  timeOf,
  vapiCallId,
} from './server-messages.js';

type Rec = Record<string, unknown>;

export interface VapiIngestOptions {
  vapi: VapiRepo;
  calls: CallsRepo;
  bus: CallEventBus;
  logger: Logger;
}

export interface VapiIngestResult {
  /** False when the message was read and deliberately not applied (`note` says why). */
  applied: boolean;
  callId: string | null;
  note?: string;
}

const STARTED = new Set(['in-progress', 'ended']);

export class VapiIngest {
  readonly #o: VapiIngestOptions;

  constructor(o: VapiIngestOptions) {
    this.#o = o;
  }

  async handle(workspaceId: string, message: Rec, requestId: string): Promise<VapiIngestResult> {
    const type = typeof message.type === 'string' ? message.type : '';
    const call = (message.call ?? {}) as Rec;
    const vapiId = typeof call.id === 'string' ? call.id : undefined;
    const logger = this.#o.logger.child({ requestId, workspaceId, vapiMessage: type });
    if (!['status-update', 'transcript', 'end-of-call-report'].includes(type)) {
      logger.debug('vapi server message not used');
      return { applied: false, callId: null, note: `message type ${type || '(none)'} is not used` };
    }
    if (!vapiId)
      throw new AppError('validation_failed', 'message.call.id is required', {
        details: [{ path: 'body.message.call.id', message: 'required' }],
      });
    const assistantId =
      (typeof call.assistantId === 'string' && call.assistantId) ||
      (typeof (message.assistant as Rec | undefined)?.id === 'string'
        ? ((message.assistant as Rec).id as string)
        : undefined);
    const agentId = assistantId ? await this.#o.vapi.agentForAssistant(workspaceId, assistantId) : null;
    if (!agentId) {
      logger.info({ assistantId }, 'vapi call of an assistant no agent is synced to; not recorded');
      return { applied: false, callId: null, note: 'the assistant is not one of this workspace’s agents' };
    }
    const callId = vapiCallId(workspaceId, vapiId);
    const at = timeOf(message.timestamp) ?? Date.now();
    const direction = callDirection(call);
    const customer = ((message.customer ?? call.customer) as Rec | undefined)?.number;
    const ours = ((message.phoneNumber ?? call.phoneNumber) as Rec | undefined)?.number;
    const [from, to] = direction === 'inbound' ? [customer, ours] : [ours, customer];
    const version = (await this.#o.vapi.syncRow(workspaceId, agentId))?.syncedVersion ?? null;
    const publish = (e: Omit<CallEvent, 'callId' | 'workspaceId'>) =>
      this.#o.bus.publish({ ...e, callId, workspaceId } as CallEvent);

    // Created queued once, with Vapi's id as the external id; a second create is refused by the key.
    let row: Call;
    try {
      row = await this.#o.calls.create({
        id: callId,
        workspaceId,
        agentId,
        agentVersion: version,
        direction,
        connector: 'vapi',
        externalId: vapiId,
        fromNumber: typeof from === 'string' ? from : '',
        toNumber: typeof to === 'string' ? to : '',
        queuedAt: new Date(timeOf(call.createdAt) ?? at),
      });
    } catch (e) {
      if (!(e instanceof AppError && e.code === 'conflict')) throw e;
      row = await this.#o.calls.get(workspaceId, callId);
    }
    if (row.status === 'ended') return { applied: false, callId, note: 'the call has already ended' };
    const start = (when: number) => {
      if (STARTED.has(row.status)) return;
      publish({
        type: 'call.started',
        at: when,
        data: {
          direction,
          from: row.fromNumber,
          to: row.toNumber,
          agentId,
          agentVersion: version ?? 0,
          connector: 'vapi',
          remote: true,
        },
      });
      publish({ type: 'call.answered', at: when, data: {} });
      row = { ...row, status: 'in-progress', startedAt: new Date(when) };
    };
    const sinceStart = (t: number) => Math.max(0, t - (row.startedAt?.getTime() ?? t));

    if (type === 'status-update') {
      const status = message.status;
      if (status === 'ringing' && row.status === 'queued') publish({ type: 'call.ringing', at, data: {} });
      else if (status === 'in-progress') start(at);
      else return { applied: false, callId, note: `status ${String(status)} is recorded by the report` };
      logger.info({ callId, status }, 'vapi call status');
      return { applied: true, callId };
    }

    if (type === 'transcript') {
      if (message.transcriptType !== undefined && message.transcriptType !== 'final') {
        return { applied: false, callId, note: 'partial transcripts are not stored' };
      }
      const text = typeof message.transcript === 'string' ? message.transcript : '';
      if (!text) return { applied: false, callId, note: 'empty transcript' };
      start(at);
      publish({
        type: 'transcript.final',
        at,
        data: { role: message.role === 'user' ? 'caller' : 'agent', text, startMs: sinceStart(at) },
      });
      return { applied: true, callId };
    }

    // end-of-call-report
    const startedAt = timeOf(message.startedAt) ?? timeOf(call.startedAt);
    const endedAt = timeOf(message.endedAt) ?? timeOf(call.endedAt) ?? at;
    start(startedAt ?? endedAt);
    const transcript = reportTranscript(message);
    const stored = (await this.#o.calls.events(workspaceId, callId)).some(
      (e) => e.type === 'transcript.final',
    );
    // Transcript messages may already have told the story line by line; then the report does not repeat it.
    if (!stored) {
      for (const t of transcript)
        publish({ type: 'transcript.final', at: (row.startedAt?.getTime() ?? endedAt) + t.startMs, data: t });
    }
    const ended = endedReasonOf(
      typeof message.endedReason === 'string' ? message.endedReason : undefined,
      direction,
    );
    const recordingUrl = reportRecordingUrl(message);
    const durationMs =
      typeof message.durationMs === 'number'
        ? Math.round(message.durationMs)
        : typeof message.durationSeconds === 'number'
          ? Math.round(message.durationSeconds * 1000)
          : sinceStart(endedAt);
    publish({
      type: 'call.ended',
      at: endedAt,
      data: {
        outcome: ended.outcome,
        endedReason: ended.endedReason,
        durationMs,
        transcript: transcript satisfies TranscriptEntry[],
        latencies: [],
        ...(recordingUrl ? { recordingUrl } : {}),
        ...(ended.error ? { error: ended.error } : {}),
      },
    });
    logger.info({ callId, endedReason: ended.endedReason }, 'vapi call ended');
    return { applied: true, callId };
  }
}
