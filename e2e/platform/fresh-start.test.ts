/**
 * A new user's first call, on what a fresh machine has: the production start (`npm start`:
 * compiled JavaScript, built when stale) with nothing on PATH but Node.js, a new data directory
 * and no services, called at `sip:demo@…` by a SIP client written with the platform's own parsers.
 * The caller asks a question in a synthesised voice; what comes back over RTP is recognised again
 * and must be the demo's answer. Needs no system package, so it runs everywhere `npm test` does.
 * The platform is also pointed at an OpenTelemetry collector (a local OTLP/HTTP receiver), as an
 * operator would, and the call must arrive there as a trace once the platform stops.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { AsrEvent } from '@switchboard/engine';
import { type AudioFrame, initMedia, MULAW_8K } from '@switchboard/media';
import { EspeakTts, SoundSwallowerAsr } from '@switchboard/providers';
import { attr, Collector } from '@switchboard/telemetry/testing';
import {
  getHeader,
  parseNameAddr,
  parseRtp,
  parseSdp,
  type SipResponse,
  serializeRtp,
} from '@switchboard/telephony';
import { inDialogText, inviteText, RawUac } from '../../packages/telephony/src/sip/raw-uac.testkit.js';
import { freeUdpPort, rtpRange, tempDir } from '../sip/peers.js';
import { freeTcpPort, type SpawnedPlatform, spawnPlatform } from './spawned-platform.js';

// The greeting's two sentences are synthesised, and so heard, one by one.
const GREETING = 'hello thanks for calling switchboard';
const HELP = 'how can i help you';
const HOURS = 'we are open every day from nine in the morning until ten at night';
const LOCATION = 'we are at one hundred main street next to the train station';
const FALLBACK = 'sorry i can answer questions about our opening hours location and bookings';
const GOODBYE = 'thank you for calling goodbye';

async function synthesize(text: string): Promise<AudioFrame[]> {
  const tts = new EspeakTts({});
  const frames: AudioFrame[] = [];
  for await (const f of tts.synthesize({ text, format: MULAW_8K, signal: new AbortController().signal })) {
    frames.push({ format: f.format, data: f.data.slice() });
  }
  return frames;
}

/** The finals the built-in recogniser hears in `mulaw`, against the demo's possible lines. */
async function recognise(mulaw: Buffer): Promise<string[]> {
  const asr = new SoundSwallowerAsr({});
  const stream = await asr.connect({
    format: MULAW_8K,
    language: 'en-US',
    phrases: [GREETING, HELP, HOURS, LOCATION, FALLBACK, GOODBYE],
    signal: new AbortController().signal,
  });
  const finals: string[] = [];
  const reading = (async () => {
    for await (const ev of stream.events as AsyncIterable<AsrEvent>)
      if (ev.type === 'final') finals.push(ev.text);
  })();
  for (let i = 0; i + 160 <= mulaw.length; i += 160) {
    stream.push({ format: MULAW_8K, data: mulaw.subarray(i, i + 160) });
    if (i % 1600 === 0) await new Promise((r) => setImmediate(r));
  }
  await stream.close();
  await reading;
  return finals;
}

describe('a fresh machine: npm start, then a SIP call to the demo agent', () => {
  let platform: SpawnedPlatform | undefined;
  const cleanups: (() => void)[] = [];
  after(() => {
    for (const c of cleanups) c();
  });

  test('the demo agent answers a spoken question with the right spoken answer', async (t) => {
    await initMedia();
    const dir = tempDir(t);
    // PATH holds Node.js alone: no sipp, baresip, pocketsphinx, espeak-ng or sox.
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    symlinkSync(process.execPath, join(bin, 'node'));
    const sipPort = await freeUdpPort();
    const [rtpMin, rtpMax] = rtpRange(20);
    const collector = new Collector();
    const otlp = await collector.listen();
    cleanups.push(() => collector.server.close());
    platform = await spawnPlatform(
      {
        PORT: String(await freeTcpPort()),
        DATA_DIR: join(dir, 'data'),
        SIP_ENABLED: 'true',
        SIP_PORT: String(sipPort),
        RTP_PORT_MIN: String(rtpMin),
        RTP_PORT_MAX: String(rtpMax),
        LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'warn',
        OTEL_EXPORTER_OTLP_ENDPOINT: otlp,
      },
      (fn) => cleanups.push(fn),
      { production: true, path: bin },
    );

    const rtp = dgram.createSocket('udp4');
    await new Promise<void>((r) => rtp.bind(0, '127.0.0.1', () => r()));
    cleanups.push(() => rtp.close());
    // What the caller hears, on the caller's clock: the platform sends no packets while it is
    // quiet, so each payload goes where it arrived, with silence between.
    const heard: { at: number; payload: Buffer }[] = [];
    const t0 = performance.now();
    rtp.on('message', (buf) => {
      try {
        const p = parseRtp(buf);
        if (p.payloadType === 0) heard.push({ at: performance.now() - t0, payload: Buffer.from(p.payload) });
      } catch {}
    });

    const uac = await new RawUac(sipPort).open();
    cleanups.push(() => uac.close());
    const callId = `fresh-${Date.now()}@127.0.0.1`;
    uac.send(
      inviteText({
        callId,
        branch: 'z9hG4bKfresh1',
        port: uac.port,
        rtpPort: rtp.address().port,
        user: 'demo',
      }),
    );
    const ok = (await uac.waitFor(
      (m) => m.kind === 'response' && m.status === 200 && getHeader(m, 'cseq')?.includes('INVITE') === true,
      20_000,
    )) as SipResponse;
    const toTag = parseNameAddr(getHeader(ok, 'to') ?? '').params.get('tag') ?? '';
    const answer = parseSdp(ok.body);
    const media = answer.media[0];
    assert.ok(media, 'the 200 OK carries an SDP answer with audio');
    const remote = { port: media.port, host: media.connection?.address ?? answer.connection?.address };
    assert.equal(remote.host, '127.0.0.1');
    uac.send(inDialogText('ACK', { callId, port: uac.port, toTag, cseq: 1 }));

    // The caller is quiet until the greeting has finished (1.5 s without agent audio), asks,
    // waits for the answer to finish, and asks once more (a recogniser starved of CPU on a busy
    // machine may mishear once); silence keeps the RTP flowing meanwhile.
    const question = (await synthesize('What are your opening hours?')).map((f) => Buffer.from(f.data));
    const quiet = Buffer.alloc(160, 0xff);
    const lastHeardAt = () => heard.at(-1)?.at ?? -1;
    const asks: number[] = [];
    let greetingFrames = 0;
    let seq = 0;
    await new Promise<void>((resolve, reject) => {
      const started = performance.now();
      const sentAt = (frame: number) => started - t0 + frame * 20;
      const tick = () => {
        const now = performance.now() - t0;
        const quietFor = now - lastHeardAt();
        const lastAsk = asks.at(-1);
        const answered = lastAsk !== undefined && lastHeardAt() > sentAt(lastAsk) && quietFor > 1500;
        if (lastAsk === undefined ? lastHeardAt() >= 0 && quietFor > 1500 : answered) {
          if (asks.length === 2) return resolve();
          if (asks.length === 0) greetingFrames = heard.length;
          asks.push(seq);
        }
        if (now > 60_000) return reject(new Error(`no answer within 60 s (asked at frames ${asks})`));
        // Paced by the clock, not by the timer's drift: send every frame that is due.
        const due = Math.floor((performance.now() - started) / 20) + 1;
        while (seq < due) {
          const ask = asks.at(-1);
          const i = ask === undefined ? -1 : seq - ask;
          const payload = i >= 0 && i < question.length ? (question[i] as Buffer) : quiet;
          rtp.send(
            serializeRtp({
              payloadType: 0,
              sequence: seq & 0xffff,
              timestamp: seq * 160,
              ssrc: 0x1234,
              payload,
            }),
            remote.port,
            '127.0.0.1',
          );
          seq++;
        }
        setTimeout(tick, 10);
      };
      tick();
    });
    uac.send(inDialogText('BYE', { callId, port: uac.port, toTag, cseq: 2 }));
    await uac.waitFor(
      (m) => m.kind === 'response' && m.status === 200 && getHeader(m, 'cseq')?.includes('BYE') === true,
      10_000,
    );

    const last = heard.at(-1);
    const audio = Buffer.alloc(last ? Math.ceil(last.at / 20 + 50) * 160 : 0, 0xff);
    let slot = 0;
    for (const h of heard) {
      // Back to back within a sentence; a gap in arrival is a pause.
      slot = Math.max(slot, Math.floor(h.at / 20));
      if ((slot + 1) * 160 > audio.length) break;
      h.payload.copy(audio, slot * 160);
      slot++;
    }
    if (process.env.E2E_KEEP_AUDIO) writeFileSync(process.env.E2E_KEEP_AUDIO, audio);
    const finals = await recognise(audio);
    const shape = Array.from({ length: Math.floor(audio.length / 160) }, (_, i) =>
      audio.subarray(i * 160, i * 160 + 160).some((b) => b !== 0xff && b !== 0x7f) ? '#' : '.',
    ).join('');
    const why = `heard: ${JSON.stringify(finals)}; audio: ${shape}; the platform said:\n${platform.output().slice(-4000)}`;
    // The greeting is the call's first audio, spoken while a new process is still loading its
    // recogniser, so a busy machine may garble it; that it came first is what is checked here.
    assert.ok(greetingFrames >= 25, `the caller hears the greeting first, ${greetingFrames} frames (${why})`);
    assert.ok(finals.includes(HOURS), `the caller hears the opening hours (${why})`);

    platform.child.kill('SIGTERM');
    const exit = await platform.exited;
    assert.equal(exit.code, 0, `the platform exits cleanly on SIGTERM:\n${platform.output().slice(-2000)}`);

    // The call as a trace: its span, and the turn that answered with its phases under it.
    const names = collector.spans.map((s) => s.name);
    const call = collector.spans.find((s) => s.name === 'call' && attr(s, 'switchboard.connector') === 'sip');
    assert.ok(call, `the collector got the call's span (got ${names})`);
    assert.equal(attr(call, 'switchboard.call.outcome'), 'completed');
    const turns = collector.spans.filter((s) => s.name === 'turn' && s.parentSpanId === call.spanId);
    assert.ok(turns.length >= 1, `the call's turns are spans under it (got ${names})`);
    const phases = collector.spans
      .filter((s) => turns.some((t) => t.spanId === s.parentSpanId))
      .map((s) => s.name);
    assert.ok(phases.includes('llm'), `a turn holds its phases (got ${phases})`);
  });
});
