/**
 * A platform process killed with SIGKILL in the middle of calls: after a restart every call it
 * was running ends as `lost`, with its `call.ended` webhook delivered once.
 * Regression: inbound calls hold no lease, so after a crash they stayed `in-progress` forever.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createLogger } from '@switchboard/core';
import { WebhooksRepo } from '@switchboard/events';
import { startReceiver, type TestReceiver } from '@switchboard/events/testing';
import { openStore } from '@switchboard/store';
import { createTestPostgresDatabase, testPostgresUrl } from '@switchboard/store/testing';
import { ScriptedTwilio, type ScriptedTwilioStream } from '@switchboard/telephony';
import { tempDir } from '../sip/peers.js';
import {
  freeTcpPort,
  INTERNAL_TOKEN,
  PUBLIC_URL,
  type SpawnedPlatform,
  seedPlatform,
  spawnPlatform,
  until,
} from './spawned-platform.js';

const SID = 'AC55555555555555555555555555555555';
const TOKEN = 'twilio-auth-token-for-orphans-001';
const NUMBER = '+15559870021';
const SILENCE = new Uint8Array(160).fill(0xff);

/** Starts `n` Twilio calls on `p` and keeps feeding them silence; resolves with their call SIDs. */
async function twilioCalls(p: SpawnedPlatform, n: number, tag: string, cleanup: (fn: () => void) => void) {
  const twilio = new ScriptedTwilio({
    appUrl: p.url,
    publicUrl: PUBLIC_URL,
    accountSid: SID,
    authToken: TOKEN,
  });
  const streams: ScriptedTwilioStream[] = [];
  for (let i = 0; i < n; i++) {
    const sid = `CA${tag}${String(i).padStart(32 - tag.length, '0')}`;
    const answer = await twilio.voice({ To: NUMBER, CallSid: sid });
    assert.equal(answer.status, 200, answer.body);
    const stream = await twilio.stream(answer, sid);
    stream.begin();
    streams.push(stream);
  }
  const feeder = setInterval(() => {
    for (const s of streams) if (s.isOpen) s.sendMedia(SILENCE);
  }, 20);
  cleanup(() => {
    clearInterval(feeder);
    for (const s of streams) s.terminate();
  });
  return streams;
}

/** Every call row of the workspace, read from the database once the process let go of it. */
async function liveRows(env: Record<string, string>, workspaceId: string) {
  const store = await openStore({
    ...(env.DATABASE_URL ? { url: env.DATABASE_URL } : {}),
    dataDir: env.DATA_DIR,
    logger: createLogger({ level: 'error' }),
  });
  try {
    return (await store.calls.list(workspaceId, { limit: 100 })).data;
  } finally {
    await store.close();
  }
}

const endedOf = (rx: TestReceiver) =>
  rx.received.map((r) => (r.json as { data: { callId: string; endedReason: string } }).data);

async function seed(env: Record<string, string>, rx: TestReceiver) {
  let apiKey = '';
  const ids = await seedPlatform(env, async (store, { workspaceId, demoAgentId }) => {
    apiKey = (await store.apiKeys.create(workspaceId, { name: 'e2e', role: 'admin' })).key;
    await store.credentials.create(workspaceId, { name: `twilio:${SID}`, value: TOKEN });
    await store.phoneNumbers.create(workspaceId, {
      number: NUMBER,
      connector: 'twilio',
      agentId: demoAgentId,
    });
    await new WebhooksRepo(store.database.db, store.credentials).create(workspaceId, {
      url: rx.url,
      eventTypes: ['call.ended'],
    });
  });
  return { ...ids, apiKey };
}

/** The calls `p` lists as in progress, through the API. */
async function inProgress(p: SpawnedPlatform, apiKey: string): Promise<number> {
  const res = await fetch(`${p.url}/v1/calls?status=in-progress`, {
    headers: { authorization: `Bearer ${apiKey}` },
  });
  return ((await res.json()) as { data: unknown[] }).data.length;
}

describe('calls of a killed process end as lost after a restart', () => {
  test('embedded database: the restarted process ends them at once', async (t) => {
    const dir = tempDir(t, 'orphans-e2e-');
    const rx = await startReceiver();
    t.after(() => rx.close());
    const env = { DATA_DIR: join(dir, 'data') };
    const { workspaceId, apiKey } = await seed(env, rx);
    const port = String(await freeTcpPort());
    const first = await spawnPlatform({ ...env, PORT: port, CALL_HEARTBEAT_MS: '500' }, (fn) => t.after(fn));
    await twilioCalls(first, 3, 'A', (fn) => t.after(fn));
    await until('three live calls', async () => {
      const m = await first.get('/health/ready');
      return m.status === 200 && (await activeCalls(first)) === 3;
    });
    await until('three call rows in progress', async () => (await inProgress(first, apiKey)) === 3);
    first.child.kill('SIGKILL');
    await first.exited;
    const stuck = (await liveRows(env, workspaceId)).filter((c) => c.status === 'in-progress');
    assert.equal(stuck.length, 3, 'the kill left three calls in progress');

    const second = await spawnPlatform({ ...env, PORT: port }, (fn) => t.after(fn));
    await until('three call.ended webhooks', () => endedOf(rx).length >= 3, 60_000);
    // Later sweeps and deliveries add nothing: each call ended once.
    await new Promise((r) => setTimeout(r, 2000));
    const ended = endedOf(rx);
    assert.equal(ended.length, 3);
    assert.deepEqual(ended.map((d) => d.callId).sort(), stuck.map((c) => c.id).sort());
    assert.ok(ended.every((d) => d.endedReason === 'lost'));
    second.child.kill('SIGTERM');
    assert.equal((await second.exited).code, 0);
    const rows = await liveRows(env, workspaceId);
    for (const c of rows) {
      assert.equal(c.status, 'ended');
      assert.equal(c.endedReason, 'lost');
      assert.equal(c.owner, null);
    }
  });

  test('PostgreSQL, several processes: the killed one’s calls end once; the live one’s go on', {
    skip: testPostgresUrl() ? false : 'needs PostgreSQL (DATABASE_URL or TEST_DATABASE_URL)',
  }, async (t) => {
    const dir = tempDir(t, 'orphans-pg-e2e-');
    const rx = await startReceiver();
    t.after(() => rx.close());
    const { url, drop } = await createTestPostgresDatabase();
    t.after(() => drop());
    const env = {
      DATA_DIR: join(dir, 'data'),
      DATABASE_URL: url,
      CALL_HEARTBEAT_MS: '500',
      CALL_LEASE_TIMEOUT_MS: '3000',
    };
    const { workspaceId } = await seed(env, rx);
    const spawnOne = async () =>
      spawnPlatform({ ...env, PORT: String(await freeTcpPort()) }, (fn) => t.after(fn));
    const [doomed, survivor] = await Promise.all([spawnOne(), spawnOne()]);
    await twilioCalls(doomed, 3, 'D', (fn) => t.after(fn));
    const kept = await twilioCalls(survivor, 1, 'S', (fn) => t.after(fn));
    await until(
      'live calls on both',
      async () => (await activeCalls(doomed)) === 3 && (await activeCalls(survivor)) === 1,
    );
    // Each process owns its calls in the database (read while both run, PostgreSQL being shared).
    const live = await until('four call rows in progress', async () => {
      const rows = (await liveRows(env, workspaceId)).filter((c) => c.status === 'in-progress');
      return rows.length === 4 ? rows : undefined;
    });
    const owners = new Map<string, string[]>();
    for (const c of live) owners.set(String(c.owner), [...(owners.get(String(c.owner)) ?? []), c.id]);
    assert.deepEqual(
      [...owners.values()].map((ids) => ids.length).sort(),
      [1, 3],
      'two owners: three calls and one',
    );
    const doomedIds = [...owners.values()].find((ids) => ids.length === 3)!;
    doomed.child.kill('SIGKILL');
    await doomed.exited;

    // The survivor's sweep and the restarted process's race for the orphans.
    const restarted = await spawnOne();
    await until('three call.ended webhooks', () => endedOf(rx).length >= 3, 60_000);
    await new Promise((r) => setTimeout(r, 4000));
    const ended = endedOf(rx);
    assert.equal(ended.length, 3, `each lost call reported once: ${JSON.stringify(ended)}`);
    assert.ok(ended.every((d) => d.endedReason === 'lost'));
    const rows = await liveRows(env, workspaceId);
    const stillLive = rows.filter((c) => c.status === 'in-progress');
    assert.equal(stillLive.length, 1, 'the surviving process keeps its call (its heartbeat is fresh)');
    assert.ok(kept[0]?.isOpen);
    assert.deepEqual(
      ended.map((d) => d.callId).sort(),
      [...doomedIds].sort(),
      "exactly the killed process's calls",
    );
    assert.deepEqual(
      rows
        .filter((c) => c.endedReason === 'lost')
        .map((c) => c.id)
        .sort(),
      [...doomedIds].sort(),
    );

    for (const p of [survivor, restarted]) p.child.kill('SIGTERM');
    assert.equal((await survivor.exited).code, 0);
    assert.equal((await restarted.exited).code, 0);
  });
});

async function activeCalls(p: SpawnedPlatform): Promise<number> {
  const res = await fetch(`${p.url}/metrics`, {
    headers: { 'x-internal-token': INTERNAL_TOKEN },
  });
  const m = await res.text();
  return [...m.matchAll(/^switchboard_calls_active\{[^}]*\} (\d+)$/gm)].reduce((n, x) => n + Number(x[1]), 0);
}
