import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { readWav } from '@switchboard/media';
import { SipServer } from '@switchboard/telephony';
import { playSamples, record } from './handlers.js';
import { freeUdpPort, needBinaries, rtpRange, spawnPeer, speak, tempDir, transcribe } from './peers.js';

const PROMPT = 'i would like to book a table for two';

test('outbound: the server dials sipp -sn uas -rtp_echo; what we send comes back; clean BYE', async (t) => {
  if (!needBinaries(t, 'sipp', 'flite', 'sox', 'pocketsphinx_continuous')) return;
  const dir = tempDir(t);
  const prompt = readWav(speak(dir, 'prompt', PROMPT, 0.5)).samples[0] ?? new Int16Array(0);
  const port = await freeUdpPort();
  const args = [
    '-sn',
    'uas',
    '-i',
    '127.0.0.1',
    '-p',
    String(port),
    '-mi',
    '127.0.0.1',
    '-mp',
    String(await freeUdpPort()),
  ];
  const sipp = spawnPeer(t, 'sipp', [...args, '-rtp_echo', '-m', '1', '-nostdin', '-timeout', '30s'], {
    cwd: dir,
    timeoutMs: 35_000,
  });
  await new Promise((r) => setTimeout(r, 300));
  const s = new SipServer({ port: 0, rtpPortRange: rtpRange() });
  await s.start();
  t.after(() => s.stop());
  const progress: number[] = [];
  const leg = await s.dial({
    to: `sip:service@127.0.0.1:${port}`,
    from: 'bot',
    timeoutMs: 10_000,
    onProgress: (st) => progress.push(st),
  });
  assert.equal(leg.direction, 'outbound');
  const rec = record(leg);
  await playSamples(leg, prompt);
  await new Promise((r) => setTimeout(r, 300));
  await leg.hangup();
  await rec.done;
  const res = await sipp.done;
  assert.equal(res.code, 0, res.stdout.slice(-1500));
  const heard = join(dir, 'echo.wav');
  writeFileSync(heard, rec.wav());
  assert.equal(
    transcribe(dir, heard, [PROMPT, 'what are your opening hours', 'yes that is correct']),
    PROMPT,
  );
  assert.equal(leg.activeTimers, 0);
});
