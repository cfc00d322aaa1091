import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type CallEvent, createLogger, loadConfig } from '@switchboard/core';
import { createTestPostgresDatabase, testPostgresUrl } from '@switchboard/store/testing';
import { FakeRestServer, ScriptedTwilio } from '@switchboard/telephony';
import { type Running, start } from './start.js';

const SID = 'AC66666666666666666666666666666666';
const TOKEN = 'twilio-auth-token-for-tests-0006';
const PUBLIC = 'https://voice.example.com';
const FROM = '+15559870066';
const silence = new Uint8Array(160).fill(0xff);
const callSidOf = (ref: string) => `CA${ref.replace(/-/g, '')}`;

async function waitFor<T>(what: string, check: () => T | undefined | Promise<T | undefined>, ms = 30_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const skip =
  testPostgresUrl() || process.env.CI ? false : 'needs PostgreSQL (TEST_DATABASE_URL or DATABASE_URL)';

// Two platform processes on one PostgreSQL, as behind a load balancer: the carrier's webhook,
// media socket and status callbacks reach the process that did NOT place the call. That process
// runs the agent; the placing one holds the dialer's slot and records the outcome.
describe('outbound carrier calls across processes', { skip }, () => {
  const nodes: { platform: Running; rest: FakeRestServer; twilio: ScriptedTwilio; events: CallEvent[] }[] =
    [];
  let dropDb: (() => Promise<void>) | undefined;
  const dirs: string[] = [];
  let auth: { authorization: string };
  let agentId: string;
  let workspaceId: string;

  before(async () => {
    const db = await createTestPostgresDatabase();
    dropDb = db.drop;
    const masterKey = randomBytes(32).toString('hex');
    for (let i = 0; i < 2; i++) {
      const rest = await FakeRestServer.start();
      rest.fallback = (r) => {
        const ref = new URL(String(r.form.Url ?? 'http://x/')).searchParams.get('ref') ?? '';
        return { status: 201, body: { sid: callSidOf(ref), status: 'queued' } };
      };
      const dir = mkdtempSync(join(tmpdir(), 'sb-handoff-'));
      dirs.push(dir);
      const platform = await start(
        loadConfig({
          NODE_ENV: 'test',
          DATA_DIR: join(dir, 'data'),
          DATABASE_URL: db.url,
          MASTER_KEY: masterKey,
          PORT: '0',
          PUBLIC_URL: PUBLIC,
          SIP_ENABLED: 'false',
          INTERNAL_TOKEN: 'platform-internal-token-0123456789',
          TWILIO_API_URL: rest.url,
        }),
        createLogger({ level: 'error' }),
        { banner: false },
      );
      const events: CallEvent[] = [];
      platform.calls.bus.subscribe((e) => {
        events.push(e);
      });
      const port = (platform.app.server.address() as { port: number }).port;
      const twilio = new ScriptedTwilio({
        appUrl: `http://127.0.0.1:${port}`,
        publicUrl: PUBLIC,
        accountSid: SID,
        authToken: TOKEN,
      });
      nodes.push({ platform, rest, twilio, events });
    }
    const { store } = nodes[0]!.platform;
    const ws = (await store.accounts.firstWorkspace()) ?? assert.fail('no workspace');
    workspaceId = ws.id;
    agentId = (await store.agents.list(ws.id, { name: 'Demo receptionist' })).data[0]!.id;
    auth = {
      authorization: `Bearer ${(await store.apiKeys.create(ws.id, { name: 't', role: 'admin' })).key}`,
    };
    await store.credentials.create(ws.id, { name: `twilio:${SID}`, value: TOKEN });
    await store.phoneNumbers.create(ws.id, { number: FROM, connector: 'twilio', agentId });
  });

  after(async () => {
    for (const n of nodes) {
      await n.platform.stop();
      await n.rest.close();
    }
    await dropDb?.();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  /** Queues a call on the first node; returns its id, the node that placed it and the other. */
  async function place(to: string) {
    const res = await nodes[0]!.platform.app.inject({
      method: 'POST',
      url: '/v1/calls',
      headers: auth,
      payload: { agent: agentId, to, from: FROM },
    });
    assert.equal(res.statusCode, 202, res.body);
    const callId = res.json().id as string;
    const placer = await waitFor('a dialer to place the call', () =>
      nodes.find((n) => n.rest.requests.some((r) => r.form.To === to)),
    );
    const create = placer.rest.requests.find((r) => r.form.To === to)!;
    const other = nodes.find((n) => n !== placer)!;
    return {
      callId,
      placer,
      other,
      answerUrl: new URL(String(create.form.Url)),
      statusUrl: new URL(String(create.form.StatusCallback)),
    };
  }

  const endedRow = (callId: string) =>
    waitFor('the call row to end', async () => {
      const c = await nodes[0]!.platform.store.calls.get(workspaceId, callId);
      return c.status === 'ended' ? c : undefined;
    });

  test('the media reaches the other process: it runs the agent, the placer records the outcome', async () => {
    const { callId, placer, other, answerUrl } = await place('+14155550601');
    const callSid = callSidOf(callId);
    const answer = await other.twilio.voice(
      { CallSid: callSid, Direction: 'outbound-api', From: FROM, To: '+14155550601' },
      { query: answerUrl.search },
    );
    assert.ok(answer.streamUrl, `the other process accepts the call: ${answer.body}`);
    const stream = await other.twilio.stream(answer, callSid);
    stream.begin();
    const feeder = setInterval(() => stream.sendMedia(silence), 20);
    try {
      await waitFor('the greeting', () => (stream.mediaReceived().length >= 25 ? true : undefined));
    } finally {
      clearInterval(feeder);
    }
    assert.ok(
      other.events.some((e) => e.type === 'call.started' && e.callId === callId),
      'the agent ran on the process the media reached',
    );
    assert.ok(!placer.events.some((e) => e.type === 'call.started' && e.callId === callId));
    stream.sendStop();
    const row = await endedRow(callId);
    assert.equal(row.outcome, 'completed');
    assert.equal(row.endedReason, 'caller-hangup');
    assert.equal(placer.rest.requests.filter((r) => r.method === 'POST').length >= 1, true);
    assert.equal(
      placer.rest.requests.some((r) => r.path.endsWith(`/Calls/${callSid}.json`)),
      false,
      'the placer did not hang the answered call up',
    );
  });

  test('a busy status callback reaching the other process ends the call busy', async () => {
    const { callId, other, statusUrl } = await place('+14155550602');
    const code = await other.twilio.status(
      {
        CallSid: callSidOf(callId),
        CallStatus: 'busy',
        Direction: 'outbound-api',
        From: FROM,
        To: '+14155550602',
      },
      statusUrl.search,
    );
    assert.equal(code, 204);
    const row = await endedRow(callId);
    assert.equal(row.outcome, 'busy');
    assert.equal(row.endedReason, 'busy');
  });
});
