/**
 * Warm transfer on the built-in SIP connector, with real audio: sipp calls in, the platform calls a
 * second SIP endpoint (the person), plays them a summary, bridges the two calls, and relays what
 * the caller says to the person; the person's BYE ends the caller's call too.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { readWav } from '@switchboard/media';
import { type SipCallLeg, SipServer } from '@switchboard/telephony';
import { playSamples, recordingHandler } from './handlers.js';
import {
  freeUdpPort,
  needBinaries,
  rtpRange,
  sippBase,
  sippCaller,
  spawnPeer,
  speak,
  tempDir,
  transcribe,
} from './peers.js';

const SUMMARY = 'yes that is correct';
const PROMPT = 'what are your opening hours';

/** sipp UAC: calls, waits while the transfer is set up, says the prompt, then waits for the BYE. */
const CALLER = sippCaller({
  name: 'caller of a warm transfer',
  mediaPort: '[auto_media_port]',
  during: `  <pause milliseconds="4000"/>
  <nop><action><exec rtp_stream="audio.ulaw,1,0"/></action></nop>
`,
  byeTimeoutMs: 30_000,
});

test('warm transfer: the person hears the summary, then the caller through the bridge', async (t) => {
  if (!needBinaries(t, 'sipp', 'flite', 'sox', 'pocketsphinx_continuous')) return;
  const dir = tempDir(t);
  const summary = readWav(speak(dir, 'summary', SUMMARY, 0.8)).samples[0] ?? new Int16Array(0);
  const prompt = speak(dir, 'prompt', PROMPT, 0.5);
  execFileSync('sox', [
    prompt,
    '-t',
    'raw',
    '-e',
    'mu-law',
    '-r',
    '8000',
    '-c',
    '1',
    join(dir, 'audio.ulaw'),
  ]);
  writeFileSync(join(dir, 'caller.xml'), CALLER);

  const desk = recordingHandler();
  const person = new SipServer({ port: 0, rtpPortRange: rtpRange(), onCall: desk.onCall });
  await person.start();
  t.after(() => person.stop());
  let bridged: Promise<void> | undefined;
  const transfer = async (caller: SipCallLeg) => {
    const ctrl = new AbortController();
    const leg = await caller.consult(`sip:desk@127.0.0.1:${person.address.port}`, {
      timeoutMs: 10_000,
      signal: ctrl.signal,
    });
    await playSamples(leg, summary);
    await leg.bridge();
  };
  const s = new SipServer({
    port: 0,
    rtpPortRange: rtpRange(),
    onCall: (leg) => {
      // After the answer is out: onCall returns first, then the 200 OK is sent.
      setTimeout(() => {
        bridged = transfer(leg);
      }, 100);
    },
  });
  await s.start();
  t.after(() => s.stop());

  const sipp = spawnPeer(
    t,
    'sipp',
    [
      '-sf',
      'caller.xml',
      `127.0.0.1:${s.address.port}`,
      '-s',
      'agent',
      ...sippBase(await freeUdpPort(), await freeUdpPort()),
      '-timeout',
      '40s',
      '-trace_err',
    ],
    { cwd: dir, timeoutMs: 45_000 },
  );
  const heard = await desk.first;
  // The caller speaks 4 s after the answer; the person hangs up once the prompt has had time.
  await new Promise((r) => setTimeout(r, 4000 + 3500));
  await bridged;
  await heard.leg.hangup();
  await heard.done;
  const res = await sipp.done;
  assert.equal(res.code, 0, `caller: ${res.stdout.slice(-1500)}${res.stderr}`);
  const wav = join(dir, 'person.wav');
  writeFileSync(wav, heard.wav());
  assert.equal(
    transcribe(dir, wav, [SUMMARY, PROMPT, 'i would like to book a table for two']),
    `${SUMMARY} ${PROMPT}`,
  );
  assert.equal(s.resources.calls, 0, 'both calls of the bridge ended');
});
