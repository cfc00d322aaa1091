import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import websocket from '@fastify/websocket';
import { type CallEvent, silentLogger } from '@switchboard/core';
import { initMedia } from '@switchboard/media';
import Fastify, { type FastifyInstance } from 'fastify';
import WebSocket from 'ws';
import type { WebCallLeg } from './web-call-leg.js';
import { webCallPlugin } from './web-plugin.js';

describe('browser calls over the WebSocket', () => {
  let app: FastifyInstance;
  let base: string;
  const legs: WebCallLeg[] = [];
  const listeners = new Map<string, (e: CallEvent) => void>();

  before(async () => {
    await initMedia();
    app = Fastify();
    await app.register(websocket);
    await app.register(async (scope) =>
      webCallPlugin(scope, {
        logger: silentLogger(),
        verifyToken: (t) => (t === 'good' ? { agentId: 'a1', workspaceId: 'w1' } : null),
        startCall: async (leg) => {
          legs.push(leg);
          return { callId: `call-${legs.length}` };
        },
        subscribe: (callId, l) => {
          listeners.set(callId, l);
          return () => listeners.delete(callId);
        },
      }),
    );
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `ws://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });
  after(() => app.close());

  const open = (token: string) =>
    new Promise<{ ws: WebSocket; messages: (string | Buffer)[] }>((resolve, reject) => {
      const ws = new WebSocket(`${base}/talk/ws?token=${token}`);
      const messages: (string | Buffer)[] = [];
      ws.on('message', (d, bin) => messages.push(bin ? (d as Buffer) : String(d)));
      ws.on('open', () => resolve({ ws, messages }));
      ws.on('error', reject);
    });
  const until = async (cond: () => boolean) => {
    for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(cond(), 'condition not met');
  };

  test('without a valid token the socket is closed with 4401', async () => {
    const { ws } = await open('bad');
    const code = await new Promise<number>((r) => ws.on('close', (c) => r(c)));
    assert.equal(code, 4401);
    assert.equal(legs.length, 0);
  });

  test('audio both ways, transcript forwarding, clear, DTMF and hangup', async () => {
    const { ws, messages } = await open('good');
    await until(
      () => legs.length === 1 && messages.some((m) => typeof m === 'string' && m.includes('"call"')),
    );
    const leg = legs[0]!;
    assert.equal(leg.inputFormat.sampleRate, 16000);

    const frames: Uint8Array[] = [];
    const reading = (async () => {
      for await (const f of leg.audio) frames.push(f.data);
    })();
    ws.send(Buffer.alloc(640, 1));
    ws.send(Buffer.alloc(641, 2)); // odd size: passed on for the engine's guard to repair
    ws.send(Buffer.alloc(40_000)); // over one second: dropped at the edge
    ws.send('{not json');
    const digits: string[] = [];
    leg.on('dtmf', (d) => digits.push(d));
    ws.send(JSON.stringify({ type: 'dtmf', digit: '7' }));
    ws.send(JSON.stringify({ type: 'dtmf', digit: 'xx' }));
    await until(() => frames.length === 2 && digits.length === 1);
    assert.deepEqual(digits, ['7']);

    leg.play({ format: { encoding: 'pcm16', sampleRate: 16000 }, data: new Uint8Array(640) });
    leg.play({ format: { encoding: 'pcm16', sampleRate: 8000 }, data: new Uint8Array(320) });
    leg.clear();
    listeners.get('call-1')!({
      type: 'transcript.final',
      callId: 'call-1',
      workspaceId: 'w1',
      at: 0,
      data: { role: 'agent', text: 'Hello there', startMs: 0 },
    });
    await until(
      () =>
        messages.filter((m) => Buffer.isBuffer(m)).length === 2 &&
        messages.some((m) => String(m).includes('Hello there')),
    );
    const audio = messages.filter((m): m is Buffer => Buffer.isBuffer(m));
    assert.equal(audio[0]!.length, 640);
    assert.equal(audio[1]!.length, 640, '8 kHz audio is converted to the page format');
    assert.ok(messages.some((m) => m === '{"type":"clear"}'));

    const hung = new Promise<string>((r) => leg.on('hangup', (reason) => r(reason)));
    ws.send(JSON.stringify({ type: 'hangup' }));
    assert.equal(await hung, 'caller-hangup');
    await reading;
    await until(() => !listeners.has('call-1'));
  });
});
