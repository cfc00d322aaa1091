/**
 * Call control against real SIP peers: sipp calls the Demo receptionist over the built-in SIP
 * endpoint and waits. A client hangs the call up over the REST API, and sipp must receive the
 * BYE and answer it for its scenario to pass; or makes a warm transfer to a second sipp, which
 * answers (or is busy), is bridged to the caller and hangs up, ending both calls.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, type TestContext, test } from 'node:test';
import { type Running, start } from '@switchboard/cli';
import { type CallEvent, createLogger, loadConfig } from '@switchboard/core';
import { waitFor } from '../../packages/cli/src/platform-testkit.js';
import {
  freeUdpPort,
  needBinaries,
  rtpRange,
  SIPP_BUSY,
  SIPP_WAIT_FOR_BYE,
  sippAnswerThenBye,
  sippBase,
  spawnPeer,
  tempDir,
} from '../sip/peers.js';

describe('controlling a SIP call over the API', () => {
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

  /** sipp calls the Demo agent and waits for its BYE; resolves with the answered call. */
  async function callIn(t: TestContext, dir: string) {
    writeFileSync(join(dir, 'wait-for-bye.xml'), SIPP_WAIT_FOR_BYE);
    const seen = new Set(events.filter((e) => e.type === 'call.answered').map((e) => e.callId));
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
      () => events.find((e) => e.type === 'call.answered' && !seen.has(e.callId)),
      60_000,
    );
    return { sipp, answered };
  }

  /** A second sipp, the person a warm transfer calls, running `scenario`. */
  async function person(t: TestContext, dir: string, scenario: string) {
    writeFileSync(join(dir, 'person.xml'), scenario);
    const port = await freeUdpPort();
    const sipp = spawnPeer(
      t,
      'sipp',
      ['-sf', 'person.xml', ...sippBase(port, await freeUdpPort()), '-timeout', '60s', '-trace_err'],
      { cwd: dir, timeoutMs: 70_000 },
    );
    await new Promise((r) => setTimeout(r, 300));
    return { sipp, uri: `sip:desk@127.0.0.1:${port}` };
  }

  const transferStatuses = (callId: string) =>
    events.flatMap((e) => (e.type === 'transfer.status' && e.callId === callId ? [e.data.status] : []));

  test('sipp gets a BYE, the live stream ends with api-hangup, the row says so', async (t) => {
    if (!needBinaries(t, 'sipp')) return;
    const dir = tempDir(t);
    const { sipp, answered } = await callIn(t, dir);
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

  test('warm transfer: the person answers, hears the summary, is bridged; their BYE ends the caller too', async (t) => {
    if (!needBinaries(t, 'sipp')) return;
    const dir = tempDir(t);
    const desk = await person(t, dir, sippAnswerThenBye(4000));
    const { sipp, answered } = await callIn(t, dir);
    const callId = answered.callId;
    const auth = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const res = await fetch(`${platform.url}/v1/calls/${callId}/transfer`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({
        to: desk.uri,
        mode: 'warm',
        summary: 'A caller would like to book a table for two.',
        timeoutSeconds: 20,
      }),
    });
    assert.equal(res.status, 202, await res.clone().text());
    const deskDone = await desk.sipp.done;
    assert.equal(deskDone.code, 0, `person: ${deskDone.stdout.slice(-1500)}${deskDone.stderr}`);
    const callerDone = await sipp.done;
    assert.equal(callerDone.code, 0, `caller: ${callerDone.stdout.slice(-1500)}${callerDone.stderr}`);
    assert.deepEqual(transferStatuses(callId), ['attempted', 'answered', 'bridged']);
    const row = await waitFor('the row to end', async () => {
      const c = await platform.store.calls.get(answered.workspaceId, callId);
      return c.status === 'ended' ? c : undefined;
    });
    assert.equal(row.outcome, 'transferred');
    assert.equal(row.endedReason, 'transfer');
  });

  test('warm transfer to a busy line: the agent takes the caller back and the call goes on', async (t) => {
    if (!needBinaries(t, 'sipp')) return;
    const dir = tempDir(t);
    const desk = await person(t, dir, SIPP_BUSY);
    const { sipp, answered } = await callIn(t, dir);
    const callId = answered.callId;
    const auth = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const res = await fetch(`${platform.url}/v1/calls/${callId}/transfer`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ to: desk.uri, mode: 'warm', hold: 'silence' }),
    });
    assert.equal(res.status, 202, await res.clone().text());
    await waitFor(
      'the transfer to fail',
      () => transferStatuses(callId).includes('failed') || undefined,
      30_000,
    );
    const failed = events.find(
      (e) => e.type === 'transfer.status' && e.callId === callId && e.data.status === 'failed',
    );
    assert.equal(failed?.type === 'transfer.status' ? failed.data.reason : undefined, 'busy');
    assert.equal((await desk.sipp.done).code, 0);
    await waitFor(
      'the agent to say so',
      () =>
        events.find(
          (e) =>
            e.type === 'transcript.final' &&
            e.callId === callId &&
            e.data.role === 'agent' &&
            /busy/.test(e.data.text),
        ),
      30_000,
    );
    const hung = await fetch(`${platform.url}/v1/calls/${callId}/hangup`, {
      method: 'POST',
      headers: { authorization: auth.authorization },
    });
    assert.equal(hung.status, 202, `the call was still live: ${await hung.clone().text()}`);
    assert.equal((await sipp.done).code, 0);
  });
});
