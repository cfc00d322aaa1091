import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import dgram from 'node:dgram';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { SipServer } from '@switchboard/telephony';
import { recordingHandler } from './handlers.js';
import {
  freeUdpPort,
  needBinaries,
  rtpRange,
  sippBase,
  spawnPeer,
  speak,
  tempDir,
  transcribe,
} from './peers.js';

const SCENARIO = new URL('../../../shared/peers/uac_tts.xml', import.meta.url).pathname;
const PROMPT = 'what are your opening hours';

test('sipp uac_tts: a spoken u-law prompt reaches the leg and transcribes to the prompt', async (t) => {
  if (!needBinaries(t, 'sipp', 'flite', 'sox', 'pocketsphinx_continuous')) return;
  const dir = tempDir(t);
  const wav = speak(dir, 'prompt', PROMPT);
  execFileSync('sox', [wav, '-t', 'raw', '-e', 'mu-law', '-r', '8000', '-c', '1', join(dir, 'audio.ulaw')]);
  mkdirSync(join(dir, 'pcap'));
  copyFileSync('/usr/share/sip-tester/dtmf_2833_1.pcap', join(dir, 'pcap', 'dtmf_2833_1.pcap'));
  const h = recordingHandler();
  const s = new SipServer({ port: 0, rtpPortRange: rtpRange(), onCall: h.onCall });
  await s.start();
  t.after(() => s.stop());
  const args = [
    '-sf',
    SCENARIO,
    `127.0.0.1:${s.address.port}`,
    '-s',
    'agent',
    ...sippBase(await freeUdpPort(), await freeUdpPort()),
  ];
  const sipp = spawnPeer(t, 'sipp', [...args, '-d', '3500', '-timeout', '30s', '-trace_err'], {
    cwd: dir,
    timeoutMs: 35_000,
  });
  const res = await sipp.done;
  assert.equal(res.code, 0, res.stdout.slice(-2000));
  const rec = await h.first;
  await rec.done;
  assert.equal(rec.leg.inputFormat.encoding, 'mulaw');
  assert.equal(rec.leg.to, 'agent');
  assert.deepEqual(rec.digits, ['1']);
  const heard = join(dir, 'heard.wav');
  writeFileSync(heard, rec.wav());
  assert.equal(
    transcribe(dir, heard, [PROMPT, 'i would like to book a table for two', 'yes that is correct']),
    PROMPT,
  );
});

test('junk datagrams to the SIP and RTP ports do not disturb a live call', async (t) => {
  if (!needBinaries(t, 'sipp')) return;
  const dir = tempDir(t);
  mkdirSync(join(dir, 'pcap'));
  for (const f of ['g711a.pcap', 'dtmf_2833_1.pcap'])
    copyFileSync(`/usr/share/sip-tester/${f}`, join(dir, 'pcap', f));
  const h = recordingHandler();
  const s = new SipServer({ port: 0, rtpPortRange: rtpRange(), onCall: h.onCall });
  await s.start();
  t.after(() => s.stop());
  const sipp = spawnPeer(
    t,
    'sipp',
    [
      '-sn',
      'uac_pcap',
      `127.0.0.1:${s.address.port}`,
      ...sippBase(await freeUdpPort(), await freeUdpPort()),
      '-timeout',
      '30s',
    ],
    { cwd: dir, timeoutMs: 35_000 },
  );
  const rec = await h.first;
  const junk = dgram.createSocket('udp4');
  t.after(() => junk.close());
  const garbage = [
    Buffer.from('INVITE sip:x SIP/2.0\r\nVia: nonsense\r\n\r\n'),
    Buffer.from('SIP/2.0 200 OK\r\nContent-Length: 99999\r\n\r\n'),
    Buffer.from([0x80, 0x08, 0x00]),
    Buffer.from('\x00\xff\xfe garbage \r\n\r\n'),
    Buffer.alloc(1400, 0x41),
    Buffer.from(
      'BYE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:1;branch=z9hG4bKx\r\nCall-ID: nope\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\nCSeq: 1 BYE\r\n\r\n',
    ),
  ];
  await new Promise((r) => setTimeout(r, 300));
  const rtpPort = rec.leg.rtp?.localPort ?? 0;
  for (let i = 0; i < 50; i++) {
    for (const g of garbage) {
      junk.send(g, s.address.port, '127.0.0.1');
      junk.send(g, rtpPort, '127.0.0.1');
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  const res = await sipp.done;
  assert.equal(res.code, 0, res.stdout.slice(-2000));
  await rec.done;
  assert.deepEqual(rec.digits, ['1']);
  assert.ok(rec.audibleSeconds() > 6, `audible ${rec.audibleSeconds()}s`);
  assert.equal(rec.hangup, 'caller-hangup');
});
