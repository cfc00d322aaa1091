/**
 * Overhead each speech-to-speech adapter adds, at 200 concurrent sessions against a local fake:
 * out = from `session.push(frame)` until the frame is written to the socket (conversion, base64,
 * JSON, send); back = from the socket emitting a vendor message until the session yields its
 * audio event. Network and the fake's own work are outside both spans.
 */
import { performance } from 'node:perf_hooks';
import { createLogger } from '@switchboard/core';
import type { StsProvider, StsSession } from '@switchboard/engine';
import { type AudioFormat, initMedia, MULAW_8K, PCM16_8K } from '@switchboard/media';
import { AvrSts, DeepgramAgent, type FakePeer, FakeWsServer, OpenAiRealtime } from '@switchboard/providers';
import WebSocket from 'ws';
import { printTable, summarize } from './stats.js';

const SESSIONS = Number(process.env.STS_SESSIONS ?? 200);
const ROUNDS = Number(process.env.STS_ROUNDS ?? 50);
const logger = createLogger({ level: 'silent' });

// Receive times per client socket, taken as ws emits 'message' (before any adapter code runs).
const clientSockets = new WeakSet<WebSocket>();
const received = new WeakMap<WebSocket, number[]>();
let lastOpened: WebSocket | undefined;
const emit = WebSocket.prototype.emit;
WebSocket.prototype.emit = function (this: WebSocket, event: string | symbol, ...args: unknown[]) {
  if (event === 'open') {
    clientSockets.add(this);
    received.set(this, []);
    lastOpened = this;
  } else if (event === 'message' && clientSockets.has(this)) received.get(this)?.push(performance.now());
  return emit.call(this, event, ...args);
} as typeof emit;

interface Case {
  name: string;
  format: AudioFormat;
  handshake: (peer: FakePeer) => void;
  provider: (url: string) => StsProvider;
  serverAudio: (peer: FakePeer, bytes: Buffer) => void;
}

const answer = (peer: FakePeer, on: string, reply: unknown) =>
  peer.socket.on('message', (d: Buffer, bin: boolean) => {
    if (!bin && d.length < 4096 && JSON.parse(d.toString()).type === on) peer.send(reply);
  });

const cases: Case[] = [
  {
    name: 'openai-realtime (μ-law passthrough)',
    format: MULAW_8K,
    handshake: (p) => {
      p.send({ type: 'session.created', session: { id: 's' } });
      answer(p, 'session.update', { type: 'session.updated', session: { id: 's' } });
    },
    provider: (url) => new OpenAiRealtime({ apiKey: 'k', logger, baseUrl: url }),
    serverAudio: (p, b) =>
      p.send({
        type: 'response.output_audio.delta',
        response_id: 'r',
        item_id: 'i',
        delta: b.toString('base64'),
      }),
  },
  {
    name: 'openai-realtime (pcm16 8k ⇄ 24k)',
    format: PCM16_8K,
    handshake: (p) => {
      p.send({ type: 'session.created', session: { id: 's' } });
      answer(p, 'session.update', { type: 'session.updated', session: { id: 's' } });
    },
    provider: (url) => new OpenAiRealtime({ apiKey: 'k', logger, baseUrl: url }),
    serverAudio: (p, b) =>
      p.send({
        type: 'response.output_audio.delta',
        response_id: 'r',
        item_id: 'i',
        delta: b.toString('base64'),
      }),
  },
  {
    name: 'deepgram-agent (μ-law passthrough)',
    format: MULAW_8K,
    handshake: (p) => {
      p.send({ type: 'Welcome', request_id: 'x' });
      answer(p, 'Settings', { type: 'SettingsApplied' });
    },
    provider: (url) => new DeepgramAgent({ apiKey: 'k', logger, baseUrl: url }),
    serverAudio: (p, b) => p.sendBinary(b),
  },
  {
    name: 'avr-sts (pcm16 8k)',
    format: PCM16_8K,
    handshake: () => {},
    provider: (url) => new AvrSts({ url, callId: 'c', logger }),
    serverAudio: (p, b) => p.send({ type: 'audio', audio: b.toString('base64') }),
  },
];

async function run(c: Case): Promise<Record<string, string | number>> {
  const server = await FakeWsServer.start({ onConnection: c.handshake });
  const provider = c.provider(server.url);
  const sessions: { session: StsSession; socket: WebSocket }[] = [];
  for (let i = 0; i < SESSIONS; i++) {
    const session = await provider.connect({
      inputFormat: c.format,
      outputFormat: c.format,
      instructions: 'bench',
      tools: [],
      language: 'en',
      endOfTurnSilenceMs: 500,
      signal: new AbortController().signal,
    });
    sessions.push({ session, socket: lastOpened as WebSocket });
  }
  // Handshake messages are not audio; only what arrives from here on is timed.
  for (const { socket } of sessions) received.set(socket, []);
  const out: number[] = [];
  const back: number[] = [];
  const readers = sessions.map(async ({ session, socket }) => {
    for await (const ev of session.events) {
      if (ev.type !== 'audio') continue;
      const at = received.get(socket)?.shift();
      if (at !== undefined) back.push(performance.now() - at);
    }
  });
  const frame = { format: c.format, data: new Uint8Array(c.format.encoding === 'pcm16' ? 320 : 160).fill(3) };
  // What the fake sends back: 20 ms in the format the adapter negotiated with it.
  const vendorBytes = Buffer.alloc(c.name.includes('24k') ? 960 : frame.data.length, 5);
  for (let r = 0; r < ROUNDS; r++) {
    for (const { session } of sessions) {
      const t0 = performance.now();
      session.push(frame);
      out.push(performance.now() - t0);
    }
    for (const peer of server.peers) c.serverAudio(peer, vendorBytes);
    await new Promise((res) => setTimeout(res, 20));
  }
  await new Promise((res) => setTimeout(res, 200));
  await Promise.all(sessions.map((s) => s.session.close()));
  await Promise.allSettled(readers);
  await server.close();
  const o = summarize(out);
  const b = summarize(back);
  return {
    adapter: c.name,
    sessions: SESSIONS,
    frames: o.n,
    'out p50 ms': o.p50,
    'out p99 ms': o.p99,
    'back p50 ms': b.p50,
    'back p99 ms': b.p99,
    'back n': b.n,
  };
}

await initMedia();
const rows = [];
for (const c of cases) rows.push(await run(c));
printTable(
  `STS adapter overhead, ${SESSIONS} concurrent sessions, ${ROUNDS} frames of 20 ms each way (target p99 ≤ 1 ms)`,
  rows,
);
