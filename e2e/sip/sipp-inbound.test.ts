import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { SipServer } from '@switchboard/telephony';
import { recordingHandler } from './handlers.js';
import { freeUdpPort, needBinaries, rtpRange, sippBase, spawnPeer, tempDir } from './peers.js';

async function server(t: Parameters<typeof tempDir>[0], onCall: ConstructorParameters<typeof SipServer>[0]) {
  const s = new SipServer({ port: 0, rtpPortRange: rtpRange(), ...onCall });
  await s.start();
  t.after(() => s.stop());
  return s;
}

test('sipp -sn uac: call set up and torn down by the caller', async (t) => {
  if (!needBinaries(t, 'sipp')) return;
  const h = recordingHandler();
  const s = await server(t, { onCall: h.onCall });
  const dir = tempDir(t);
  const port = await freeUdpPort();
  const sipp = spawnPeer(
    t,
    'sipp',
    [
      '-sn',
      'uac',
      `127.0.0.1:${s.address.port}`,
      ...sippBase(port, await freeUdpPort()),
      '-timeout',
      '15s',
      '-trace_err',
    ],
    { cwd: dir, timeoutMs: 20_000 },
  );
  const res = await sipp.done;
  assert.equal(res.code, 0, res.stdout.slice(-2000) + res.stderr);
  const rec = await h.first;
  await rec.done;
  assert.equal(rec.hangup, 'caller-hangup');
  assert.equal(rec.leg.activeTimers, 0);
  assert.equal(s.resources.calls, 0);
});

test('sipp -sn uac_pcap: PCMA audio and DTMF 1 reach the leg', async (t) => {
  if (!needBinaries(t, 'sipp')) return;
  const h = recordingHandler();
  const s = await server(t, { onCall: h.onCall });
  const dir = tempDir(t);
  mkdirSync(join(dir, 'pcap'));
  for (const f of ['g711a.pcap', 'dtmf_2833_1.pcap'])
    copyFileSync(`/usr/share/sip-tester/${f}`, join(dir, 'pcap', f));
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
      '-trace_err',
    ],
    { cwd: dir, timeoutMs: 35_000 },
  );
  const res = await sipp.done;
  assert.equal(res.code, 0, res.stdout.slice(-2000) + res.stderr);
  const rec = await h.first;
  await rec.done;
  assert.equal(rec.leg.inputFormat.encoding, 'alaw');
  assert.deepEqual(rec.digits, ['1']);
  const audibleSeconds = rec.audibleSeconds();
  assert.ok(audibleSeconds > 6 && audibleSeconds < 8.5, `audible audio ${audibleSeconds}s`);
  assert.equal(rec.hangup, 'caller-hangup');
});
