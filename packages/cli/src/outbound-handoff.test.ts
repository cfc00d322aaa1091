import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createTestPostgresDatabase, testPostgresUrl } from '@switchboard/store/testing';
import { FakeRestServer, type ScriptedTwilio } from '@switchboard/telephony';
import { feedSilenceUntil, startTestPlatform, type TestPlatform, waitFor } from './platform-testkit.js';

const SID = 'AC66666666666666666666666666666666';
const TOKEN = 'twilio-auth-token-for-tests-0006';
const FROM = '+15559870066';
const callSidOf = (ref: string) => `CA${ref.replace(/-/g, '')}`;
/** Two processes and a shared database: more time than the one-process tests. */
const WAIT_MS = 30_000;

const skip =
  testPostgresUrl() || process.env.CI ? false : 'needs PostgreSQL (TEST_DATABASE_URL or DATABASE_URL)';

// Two platform processes on one PostgreSQL, as behind a load balancer: the carrier's webhook,
// media socket and status callbacks reach the process that did NOT place the call. That process
// runs the agent; the placing one holds the dialer's slot and records the outcome.
describe('outbound carrier calls across processes', { skip }, () => {
  const nodes: (TestPlatform & { rest: FakeRestServer; twilio: ScriptedTwilio })[] = [];
  let dropDb: (() => Promise<void>) | undefined;
  let auth: { authorization: string };
  let agentId: string;

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
      const node = await startTestPlatform({
        DATABASE_URL: db.url,
        MASTER_KEY: masterKey,
        TWILIO_API_URL: rest.url,
      });
      const twilio = node.scriptedTwilio(SID, TOKEN);
      nodes.push({ ...node, rest, twilio });
    }
    const { store } = nodes[0]!.platform;
    const { workspaceId } = nodes[0]!;
    agentId = nodes[0]!.demoAgentId;
    auth = {
      authorization: `Bearer ${(await store.apiKeys.create(workspaceId, { name: 't', role: 'admin' })).key}`,
    };
    await store.credentials.create(workspaceId, { name: `twilio:${SID}`, value: TOKEN });
    await store.phoneNumbers.create(workspaceId, { number: FROM, connector: 'twilio', agentId });
  });

  after(async () => {
    for (const n of nodes) {
      await n.close();
      await n.rest.close();
    }
    await dropDb?.();
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
    const placer = await waitFor(
      'a dialer to place the call',
      () => nodes.find((n) => n.rest.requests.some((r) => r.form.To === to)),
      WAIT_MS,
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

  const endedRow = (callId: string) => nodes[0]!.endedCall(callId, WAIT_MS);

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
    await feedSilenceUntil(stream, 25, WAIT_MS);
    assert.ok(
      other.events.some((e) => e.type === 'call.started' && e.callId === callId),
      'the agent ran on the process the media reached',
    );
    assert.ok(!placer.events.some((e) => e.type === 'call.started' && e.callId === callId));
    stream.sendStop();
    const row = await endedRow(callId);
    assert.equal(row.outcome, 'completed');
    assert.equal(row.endedReason, 'callee-hangup', 'the callee hung up');
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
