/**
 * Load generator for bench/twilio-relay.ts (run as a child process so its CPU is not counted):
 * N Twilio Media Streams, each answered through the signed voice webhook, then 20 ms μ-law media
 * messages in real time on one drift-free clock. Counts the media echoed back per stream.
 * Args: appUrl publicUrl calls holdMs. Prints one JSON line.
 */
import { ScriptedTwilio } from '@switchboard/telephony';
import { WebSocket } from 'ws';

const [appUrl = '', publicUrl = '', callsArg = '10', holdArg = '5000'] = process.argv.slice(2);
const calls = Number(callsArg);
const holdMs = Number(holdArg);
const twilio = new ScriptedTwilio({
  appUrl,
  publicUrl,
  accountSid: 'AC' + '2'.repeat(32),
  authToken: 'bench-token',
});
const payload = Buffer.alloc(160, 0xff).toString('base64');

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
  const ws = new WebSocket(`${appUrl.replace(/^http/, 'ws')}/twilio/media`);
  await new Promise((r, j) => {
    ws.once('open', r);
    ws.once('error', j);
  });
  const s: Stream = { ws, sid, sent: 0, received: 0 };
  ws.on('message', (d) => {
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

process.stdout.write('go\n');
const t0 = performance.now();
let tick = 0;
let lateTicks = 0;
await new Promise<void>((resolve) => {
  const step = () => {
    const now = performance.now();
    if (now - t0 >= holdMs) return resolve();
    if (now - (t0 + tick * 20) > 20) lateTicks++;
    for (const s of streams) {
      s.sent++;
      s.ws.send(
        `{"event":"media","sequenceNumber":"${s.sent + 1}","streamSid":"${s.sid}","media":{"track":"inbound","chunk":"${s.sent}","timestamp":"${tick * 20}","payload":"${payload}"}}`,
      );
    }
    tick++;
    setTimeout(step, Math.max(0, t0 + tick * 20 - performance.now()));
  };
  step();
});
await new Promise((r) => setTimeout(r, 800));
const sent = streams.reduce((a, s) => a + s.sent, 0);
const received = streams.reduce((a, s) => a + s.received, 0);
for (const s of streams) {
  s.ws.send(JSON.stringify({ event: 'stop', sequenceNumber: '99999', streamSid: s.sid, stop: {} }));
  s.ws.close();
}
await new Promise((r) => setTimeout(r, 300));
process.stdout.write(`${JSON.stringify({ calls: streams.length, sent, received, lateTicks })}\n`);
process.exit(0);
