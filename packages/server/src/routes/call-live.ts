import type { CallEvent, Logger } from '@switchboard/core';
import type { Call, Store } from '@switchboard/store';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { LiveFeed } from '../calls/live-feed.js';
import { callJson } from './calls.js';

/** A call run by another process is read from the database this often. */
const POLL_MS = 1000;
/** A comment line this often keeps proxies from closing a quiet stream. */
const KEEPALIVE_MS = 15_000;

export const LIVE_STREAM_EXAMPLE = [
  'event: state',
  'data: {"id":"8e4a1b2c-3d5f-4a6b-9c7d-0e1f2a3b4c5d","status":"in-progress","direction":"inbound",…}',
  '',
  'event: transcript.final',
  'data: {"type":"transcript.final","callId":"8e4a1b2c-3d5f-4a6b-9c7d-0e1f2a3b4c5d","at":"2026-03-02T10:05:04.512Z","data":{"role":"caller","text":"What are your opening hours?","startMs":2210,"endMs":2210}}',
  '',
  'event: turn.latency',
  'data: {"type":"turn.latency","callId":"8e4a1b2c-3d5f-4a6b-9c7d-0e1f2a3b4c5d","at":"2026-03-02T10:05:05.030Z","data":{"turn":2,"callerStoppedMs":1890,"asrFinalMs":2210,"llmFirstTokenMs":2290,"ttsFirstAudioMs":2480,"firstAudioSentMs":2500}}',
  '',
  'event: end',
  'data: {"status":"ended","outcome":"completed","endedReason":"api-hangup"}',
  '',
].join('\n');

interface Follow {
  req: FastifyRequest;
  reply: FastifyReply;
  store: Store;
  feed: LiveFeed | undefined;
  /** The call's row; undefined for a call running here whose row is not written yet. */
  call: Call | undefined;
  callId: string;
  workspaceId: string;
  logger: Logger;
}

/**
 * Streams one call as Server-Sent Events until it ends or the client goes. Events of a call
 * running here come from the bus (everything, partial transcripts included); otherwise the call
 * row and its stored events are read every second until the call ends — or until it turns out
 * to run here after all (an outbound call this process dials), when the bus takes over.
 */
export async function followCall(f: Follow): Promise<void> {
  const { req, reply, store, feed, call, callId, workspaceId, logger } = f;
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    'x-request-id': req.id,
  });
  let closed = false;
  let lastStatus = call?.status;
  let lastSeq = 0;
  let fromBus = false;
  const timers: NodeJS.Timeout[] = [];
  const send = (event: string, data: unknown) => {
    if (!closed) raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  let following: { live: boolean; stop: () => void } | undefined;
  const finish = (end: { status: string; outcome: string | null; endedReason: string | null }) => {
    send('end', end);
    close();
  };
  const close = () => {
    if (closed) return;
    closed = true;
    following?.stop();
    for (const t of timers) clearInterval(t);
    raw.end();
  };
  req.raw.on('close', close);

  if (call) send('state', callJson(call));
  following = feed?.follow(callId, workspaceId, (e: CallEvent) => {
    fromBus = true;
    send(e.type, { type: e.type, callId: e.callId, at: new Date(e.at).toISOString(), data: e.data });
    if (e.type === 'call.ended') {
      finish({ status: 'ended', outcome: e.data.outcome, endedReason: e.data.endedReason });
    }
  });
  if (closed || following?.live) {
    if (!closed) timers.push(setInterval(() => !closed && raw.write(': keepalive\n\n'), KEEPALIVE_MS));
    return;
  }
  if (call?.status === 'ended') {
    finish({ status: 'ended', outcome: call.outcome, endedReason: call.endedReason });
    return;
  }
  // Stored events already told are skipped: a follower joining late is caught up once.
  const poll = async () => {
    if (closed || fromBus) return;
    try {
      const row = await store.calls.get(workspaceId, callId);
      for (const e of await store.calls.events(workspaceId, callId)) {
        if (e.seq <= lastSeq || closed || fromBus) continue;
        lastSeq = e.seq;
        send(e.type, { type: e.type, callId, at: e.at.toISOString(), data: e.data });
      }
      if (closed || fromBus) return;
      if (row.status !== lastStatus) {
        lastStatus = row.status;
        send('state', callJson(row));
      }
      if (row.status === 'ended')
        finish({ status: 'ended', outcome: row.outcome, endedReason: row.endedReason });
    } catch (e) {
      logger.warn({ callId, err: e instanceof Error ? e.message : String(e) }, 'live call poll failed');
    }
  };
  let polling = false;
  timers.push(
    setInterval(() => {
      if (polling) return;
      polling = true;
      void poll().finally(() => {
        polling = false;
      });
    }, POLL_MS),
    setInterval(() => !closed && raw.write(': keepalive\n\n'), KEEPALIVE_MS),
  );
  await poll();
}
