import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { readWav } from '@switchboard/media';
import { SipServer } from '@switchboard/telephony';
import { startBaresip } from './baresip.js';
import { playSamples, record, recordingHandler } from './handlers.js';
import { needBinaries, rtpRange, speak, tempDir, transcribe } from './peers.js';

const CALLER = 'what are your opening hours';
const AGENT = 'please cancel my appointment for tomorrow';
const PHRASES = [CALLER, AGENT, 'i would like to book a table for two', 'yes that is correct'];

test('baresip calls the server: each side hears the other', async (t) => {
  if (!needBinaries(t, 'baresip', 'flite', 'sox', 'pocketsphinx_continuous')) return;
  const dir = tempDir(t);
  const src = speak(dir, 'caller', CALLER, 4);
  const agentWav = speak(dir, 'agent', AGENT);
  const h = recordingHandler({ playWav: agentWav });
  const s = new SipServer({ port: 0, rtpPortRange: rtpRange(), onCall: h.onCall });
  await s.start();
  t.after(() => s.stop());
  const b = await startBaresip(t, dir, {
    sourceWav: src,
    dial: `sip:agent@127.0.0.1:${s.address.port}`,
    quitAfterSeconds: 12,
  });
  const rec = await h.first;
  await rec.done;
  await b.peer.done;
  assert.equal(rec.hangup, 'caller-hangup');
  const heard = join(dir, 'heard.wav');
  writeFileSync(heard, rec.wav());
  assert.equal(transcribe(dir, heard, PHRASES), CALLER);
  assert.equal(transcribe(dir, b.decodedWav(), PHRASES), AGENT);
});

test('outbound: the server dials baresip (auto answer); audio both ways; our BYE ends it', async (t) => {
  if (!needBinaries(t, 'baresip', 'flite', 'sox', 'pocketsphinx_continuous')) return;
  const dir = tempDir(t);
  const src = speak(dir, 'caller', CALLER, 6);
  const agent = readWav(speak(dir, 'agent', AGENT, 0.5)).samples[0] ?? new Int16Array(0);
  const b = await startBaresip(t, dir, { sourceWav: src, autoAnswer: true, quitAfterSeconds: 15 });
  await new Promise((r) => setTimeout(r, 500));
  const s = new SipServer({ port: 0, rtpPortRange: rtpRange() });
  await s.start();
  t.after(() => s.stop());
  const leg = await s.dial({ to: `sip:caller@127.0.0.1:${b.port}`, timeoutMs: 10_000 });
  const rec = record(leg);
  await playSamples(leg, agent);
  await new Promise((r) => setTimeout(r, 1500));
  await leg.hangup();
  await rec.done;
  // baresip stays up until -t; it has written its recording once the call closed.
  await new Promise((r) => setTimeout(r, 500));
  b.peer.child.kill('SIGTERM');
  await b.peer.done;
  const heard = join(dir, 'heard.wav');
  writeFileSync(heard, rec.wav());
  assert.equal(transcribe(dir, heard, PHRASES), CALLER);
  const dec = b.decodedWav();
  assert.ok(Number(execFileSync('soxi', ['-D', dec]).toString()) > 1);
  assert.equal(transcribe(dir, dec, PHRASES), AGENT);
});
