/**
 * Call control against a real SIP peer: sipp calls the Demo receptionist over the built-in SIP
 * endpoint and waits; a client hangs the call up over the REST API, and sipp must receive the
 * BYE and answer it for its scenario to pass.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Running, start } from '@switchboard/cli';
import { type CallEvent, createLogger, loadConfig } from '@switchboard/core';
import { waitFor } from '../../packages/cli/src/platform-testkit.js';
import {
  freeUdpPort,
  needBinaries,
  rtpRange,
  SIPP_WAIT_FOR_BYE,
  sippBase,
  spawnPeer,
  tempDir,
} from '../sip/peers.js';

describe('hanging up a SIP call over the API', () => {
  let platform: Running;
  let key: string;
  const events: CallEvent[] = [];

  before(async () => {
    const [rtpMin, rtpMax] = rtpRange(20);
    const dataDir = join(mkdtempSync(join(tmpdir(), 'sb-e2e-')), 'data');
    platform = await start(
      loadConfig({
        NODE_ENV: 'test',
        DATA_DIR: dataDir,
        PORT: '0',
        SIP_PORT: '0',
        RTP_PORT_MIN: String(rtpMin),
        RTP_PORT_MAX: String(rtpMax),
        INTERNAL_TOKEN: 'e2e-internal-token-0123456789',
      }),
      createLogger({ level: (process.env.E2E_LOG_LEVEL as 'warn' | undefined) ?? 'warn' }),
      { banner: false },
    );
    platform.calls.bus.subscribe((e) => {
      events.push(e);
    });
    const ws = await platform.store.accounts.firstWorkspace();
    if (!ws) throw new Error('no workspace');
    key = (await platform.store.apiKeys.create(ws.id, { name: 'ops', role: 'member' })).key;
  });
  after(() => platform?.stop());

  test('sipp gets a BYE, the live stream ends with api-hangup, the row says so', async (t) => {
    if (!needBinaries(t, 'sipp')) return;
    const dir = tempDir(t);
    writeFileSync(join(dir, 'wait-for-bye.xml'), SIPP_WAIT_FOR_BYE);
    const sipp = spawnPeer(
      t,
      'sipp',
      [
        '-sf',
        'wait-for-bye.xml',
        `127.0.0.1:${platform.sip!.port}`,
        '-s',
        'demo',
        ...sippBase(await freeUdpPort(), await freeUdpPort()),
        '-timeout',
        '90s',
        '-trace_err',
      ],
      { cwd: dir, timeoutMs: 100_000 },
    );
    const answered = await waitFor(
      'call.answered',
      () => events.find((e) => e.type === 'call.answered'),
      60_000,
    );
    const callId = answered.callId;
    const auth = { authorization: `Bearer ${key}` };
    const live = await fetch(`${platform.url}/v1/calls/${callId}/live`, { headers: auth });
    assert.equal(live.status, 200);
    const hung = await fetch(`${platform.url}/v1/calls/${callId}/hangup`, { method: 'POST', headers: auth });
    assert.equal(hung.status, 202, await hung.clone().text());
    assert.equal(((await hung.json()) as { result: string }).result, 'applied');
    const res = await sipp.done;
    assert.equal(res.code, 0, `sipp: ${res.stdout.slice(-1500)}${res.stderr}`);
    const stream = await live.text();
    assert.match(stream, /^event: state\n/);
    assert.match(stream, /event: call\.ended\n/);
    assert.match(
      stream,
      /event: end\ndata: \{"status":"ended","outcome":"completed","endedReason":"api-hangup"\}\n\n$/,
    );
    const row = await waitFor('the row to end', async () => {
      const c = await platform.store.calls.get(answered.workspaceId, callId);
      return c.status === 'ended' ? c : undefined;
    });
    assert.equal(row.connector, 'sip');
    assert.equal(row.endedReason, 'api-hangup');
  });
});
