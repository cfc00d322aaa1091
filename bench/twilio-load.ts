/**
 * Load generator for bench/twilio-relay.ts, run as a child process (pinned to its own core when
 * taskset exists) so its CPU is not counted as the relay's: N Twilio Media Streams, each answered
 * through the signed voice webhook, then one 20 ms μ-law media message per stream every 20 ms on
 * a drift-free clock. Streams are spread over the 20 ms period in 1 ms slots, as real calls start
 * at random times; sending all of them in one burst would test a load no carrier produces.
 * Counts the media echoed back per stream and measures its own lateness and CPU: when the
 * generator is late, the relay's numbers are not about the relay.
 * Args: appUrl publicUrl calls holdMs. Prints "go" when media starts and one JSON line at the end.
 */
import { ScriptedTwilio } from '@switchboard/telephony';
import { WebSocket } from 'ws';
import { runQueueWaitMs, runSlots, summarize } from './stats.js';

const [appUrl = '', publicUrl = '', callsArg = '10', holdArg = '5000'] = process.argv.slice(2);
const calls = Number(callsArg);
const holdMs = Number(holdArg);
const FRAME_MS = 20;
const twilio = new ScriptedTwilio({
  appUrl,
  publicUrl,
  accountSid: `AC${'2'.repeat(32)}`,
  authToken: 'bench-token',
});
const payload = Buffer.alloc(160, 0xff).toString('base64');
// A bench must stop by itself, even when the server under test never answers.
setTimeout(() => {
  process.stderr.write('twilio-load: gave up (setup or hold took too long)\n');
  process.exit(2);
}, holdMs + 120_000).unref();

interface Stream {
  ws: WebSocket;
  sid: string;
  sent: number;
  received: number;
}

async function open(i: number): Promise<Stream> {
  const callSid = `CA${String(i).padStart(32, '0')}`;
  const sid = `MZ${String(i).padStart(32, '0')}`;
  const answer = await twilio.voice({ CallSid: callSid });
  // Twilio does not offer permessage-deflate; neither does the relay, so frames go uncompressed.
  const ws = new WebSocket(`${appUrl.replace(/^http/, 'ws')}/twilio/media`, { perMessageDeflate: false });
  await new Promise((r, j) => {
    ws.once('open', r);
    ws.once('error', j);
  });
  const s: Stream = { ws, sid, sent: 0, received: 0 };
  ws.on('message', (d: Buffer) => {
    // Cheap check instead of JSON.parse: only media counts.
    if (d.toString('latin1', 0, 20).includes('"media"')) s.received++;
  });
  ws.send(JSON.stringify({ event: 'connected', protocol: 'Call', version: '1.0.0' }));
  ws.send(
    JSON.stringify({
      event: 'start',
      sequenceNumber: '1',
      streamSid: sid,
      start: {
        streamSid: sid,
        accountSid: twilio.o.accountSid,
        callSid,
        tracks: ['inbound'],
        customParameters: answer.parameters,
        mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
      },
    }),
  );
  return s;
}

const streams: Stream[] = [];
for (let i = 0; i < calls; i += 50) {
  streams.push(
    ...(await Promise.all(Array.from({ length: Math.min(50, calls - i) }, (_, k) => open(i + k)))),
  );
}
await new Promise((r) => setTimeout(r, 300));

// Stream i sends in slot i mod 20: slot k of the run is due at t0 + k ms.
const slots: Stream[][] = Array.from({ length: FRAME_MS }, () => []);
for (const [i, s] of streams.entries()) slots[i % FRAME_MS]!.push(s);

process.stdout.write('go\n');
const cpu0 = process.cpuUsage();
const wait0 = runQueueWaitMs();
const t0 = performance.now();
// Every stream sends exactly holdMs / 20 frames, however late the generator runs.
const lateness = await runSlots({
  slots: holdMs,
  onSlot: (k) => {
    const frame = Math.floor(k / FRAME_MS);
    for (const s of slots[k % FRAME_MS]!) {
      s.sent++;
      s.ws.send(
        `{"event":"media","sequenceNumber":"${s.sent + 1}","streamSid":"${s.sid}","media":{"track":"inbound","chunk":"${s.sent}","timestamp":"${frame * FRAME_MS}","payload":"${payload}"}}`,
      );
    }
  },
});
const cpu = process.cpuUsage(cpu0);
const wall = performance.now() - t0;
const waited = wait0 === undefined ? Number.NaN : (runQueueWaitMs() ?? Number.NaN) - wait0;
await new Promise((r) => setTimeout(r, 800));
const sent = streams.reduce((a, s) => a + s.sent, 0);
const received = streams.reduce((a, s) => a + s.received, 0);
for (const s of streams) {
  s.ws.send(JSON.stringify({ event: 'stop', sequenceNumber: '99999', streamSid: s.sid, stop: {} }));
  s.ws.close();
}
await new Promise((r) => setTimeout(r, 300));
const late = summarize(lateness);
process.stdout.write(
  `${JSON.stringify({
    calls: streams.length,
    sent,
    received,
    // Negotiated extensions of one socket: empty means no compression on the wire.
    extensions: streams[0]?.ws.extensions ?? '',
    latenessP99Ms: late.p99,
    latenessMaxMs: late.max,
    cpuPct: ((cpu.user + cpu.system) / 1000 / wall) * 100,
    runQueuePct: (waited / wall) * 100,
  })}\n`,
);
process.exit(0);
