/**
 * Two platform processes on one PostgreSQL and one Redis, behind Kamailio dispatching SIP with
 * the configuration the repository ships (`deploy/kamailio/kamailio.cfg`), driven by sipp:
 * - calls are spread over both processes, and a control command sent to either process reaches
 *   the one that runs the call (routed through Redis);
 * - one process is killed with SIGKILL while it holds calls: they end as `lost`, and the next
 *   calls all go to the survivor, Kamailio having found the dead one silent;
 * - nothing leaks: every call row is final, the survivor holds no call slot, the directory in
 *   Redis lists one process and no call, and every rate-limit counter has an expiry.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createLogger } from '@switchboard/core';
import { openStore } from '@switchboard/store';
import { createTestPostgresDatabase, testPostgresUrl } from '@switchboard/store/testing';
import { Redis } from 'ioredis';
import { startKamailio } from '../sip/kamailio.js';
import {
  freeUdpPort,
  needBinaries,
  type Peer,
  rtpRange,
  sippCaller,
  spawnPeer,
  tempDir,
} from '../sip/peers.js';
import {
  freeTcpPort,
  INTERNAL_TOKEN,
  type SpawnedPlatform,
  seedPlatform,
  spawnPlatform,
  until as waitUntil,
} from './spawned-platform.js';

const redisUrl = process.env.REDIS_URL;

describe('two workers behind Kamailio', {
  skip: !testPostgresUrl()
    ? 'needs PostgreSQL (DATABASE_URL or TEST_DATABASE_URL)'
    : !redisUrl && 'needs Redis: set REDIS_URL=redis://127.0.0.1:6379',
}, () => {
  test('a killed worker’s calls end as lost, new calls go to the other, nothing leaks', async (t) => {
    if (!needBinaries(t, 'kamailio', 'sipp')) return;
    const dir = tempDir(t, 'kamailio-e2e-');
    const { url: databaseUrl, drop } = await createTestPostgresDatabase();
    t.after(() => drop());
    const env = {
      DATA_DIR: join(dir, 'data'),
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisUrl!,
      CALL_HEARTBEAT_MS: '500',
      CALL_LEASE_TIMEOUT_MS: '3000',
    };
    let apiKey = '';
    const { workspaceId } = await seedPlatform(env, async (store, { workspaceId, demoAgentId }) => {
      apiKey = (await store.apiKeys.create(workspaceId, { name: 'ops', role: 'admin' })).key;
      // The callers stay silent: the agent must not hang up on them while the test runs.
      await store.agents.update(workspaceId, demoAgentId, {
        config: { idle: { repromptAfterMs: 120_000, maxReprompts: 0 } },
      });
      await store.agents.publish(workspaceId, demoAgentId);
    });
    const api = async (p: SpawnedPlatform, method: string, path: string, body?: unknown) => {
      const res = await fetch(`${p.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${apiKey}`,
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    // Call rows as stored, with the owner (the instance id of the worker running the call).
    const store = await openStore({
      url: databaseUrl,
      dataDir: env.DATA_DIR,
      logger: createLogger({ level: 'error' }),
    });
    t.after(() => store.close());
    const calls = async (_p: SpawnedPlatform, status?: string) => {
      const rows = (await store.calls.list(workspaceId, { limit: 100 })).data;
      return rows
        .filter((c) => !status || c.status === status)
        .map((c) => ({ id: c.id, status: c.status, endedReason: c.endedReason, owner: String(c.owner) }));
    };

    // Both share DATA_DIR (its master key and recordings), as pods share a volume and a secret.
    const worker = async () => {
      const sipPort = await freeUdpPort();
      const [rtpMin, rtpMax] = rtpRange(40);
      const p = await spawnPlatform(
        {
          ...env,
          PORT: String(await freeTcpPort()),
          SIP_ENABLED: 'true',
          SIP_HOST: '127.0.0.1',
          SIP_PORT: String(sipPort),
          RTP_PORT_MIN: String(rtpMin),
          RTP_PORT_MAX: String(rtpMax),
        },
        (fn) => t.after(fn),
      );
      return { ...p, sipPort };
    };
    const [a, b] = await Promise.all([worker(), worker()]);

    const proxyPort = await freeUdpPort();
    const proxy = startKamailio(dir, proxyPort, [a.sipPort, b.sipPort]);
    t.after(() => proxy.stop());
    // What a failure shows: the rows, and the last words of both workers and the proxy.
    const until = <T>(
      what: string,
      check: () => Promise<T | undefined | false> | T | undefined | false,
      ms?: number,
    ) =>
      waitUntil(what, check, ms).catch(async (e: Error) =>
        assert.fail(
          `${e.message}\nrows: ${JSON.stringify(await calls(b))}\nA: ${a.output().slice(-1500)}\nB: ${b.output().slice(-1500)}\nKamailio: ${proxy.output().slice(-1500)}`,
        ),
      );
    await proxy.ready();

    writeFileSync(
      join(dir, 'caller.xml'),
      sippCaller({ name: 'call through the proxy', proxied: true, byeTimeoutMs: 120_000 }),
    );
    const callers = async (n: number): Promise<Peer> =>
      spawnPeer(
        t,
        'sipp',
        [
          '-sf',
          'caller.xml',
          `127.0.0.1:${proxyPort}`,
          '-s',
          'demo',
          '-i',
          '127.0.0.1',
          '-p',
          String(await freeUdpPort()),
          '-mi',
          '127.0.0.1',
          '-mp',
          String(await freeUdpPort()),
          '-nostdin',
          '-m',
          String(n),
          '-l',
          String(n),
          '-r',
          '5',
          '-timeout',
          '150s',
          '-trace_err',
        ],
        { cwd: dir, timeoutMs: 160_000 },
      );

    // First wave: six callers, spread over both workers.
    await callers(6);
    const wave1 = await until(
      'six calls in progress',
      async () => {
        const rows = await calls(b, 'in-progress');
        return rows.length === 6 ? rows : undefined;
      },
      60_000,
    );
    const owners = groupBy(wave1, (c) => c.owner);
    assert.deepEqual(
      [...owners.values()].map((g) => g.length),
      [3, 3],
      `round robin: three calls on each worker (${proxy.output().slice(-2000)})`,
    );

    // Either worker controls any call: through Redis the command reaches the one running it.
    for (const c of wave1) {
      // Answered calls are in progress a moment before the agent takes commands (409 until then).
      const r = await until(`say on ${c.id}`, async () => {
        const r = await api(a, 'POST', `/v1/calls/${c.id}/say`, { text: 'One moment please.' });
        return r.status === 409 ? undefined : r;
      });
      assert.equal(r.status, 202, JSON.stringify(r.body));
      assert.equal(r.body.result, 'applied', `say on ${c.id} (owner ${c.owner})`);
    }
    for (const c of [...owners.values()].map((g) => g[0]!)) {
      const r = await api(b, 'POST', `/v1/calls/${c.id}/hangup`);
      assert.equal(r.body.result, 'applied', JSON.stringify(r.body));
    }
    await until('two calls hung up', async () => (await calls(b, 'in-progress')).length === 4);

    // Worker A dies without a word.
    a.child.kill('SIGKILL');
    await a.exited;
    const liveOwners = new Set((await calls(b, 'in-progress')).map((c) => c.owner));
    assert.equal(liveOwners.size, 2, 'until its lease passes, the dead worker still owns its calls');

    // Its calls end as lost once its lease passes (the survivor's sweep).
    const lostRows = await until(
      'the dead worker’s calls end as lost',
      async () => {
        const rows = (await calls(b)).filter((c) => c.endedReason === 'lost');
        return rows.length === 2 ? rows : undefined;
      },
      30_000,
    );
    const survivorOwner = await until('one owner left', async () => {
      const live = await calls(b, 'in-progress');
      const o = new Set(live.map((c) => c.owner));
      return live.length === 2 && o.size === 1 ? [...o][0] : undefined;
    });
    const deadIds = new Set(wave1.filter((c) => c.owner !== survivorOwner).map((c) => c.id));
    for (const r of lostRows) assert.ok(deadIds.has(r.id), `${r.id} was the dead worker's`);

    // Second wave: every new call goes to the survivor.
    const wave2Callers = await callers(4);
    const wave2 = await until(
      'four new calls in progress',
      async () => {
        const rows = (await calls(b, 'in-progress')).filter((c) => !wave1.some((w) => w.id === c.id));
        return rows.length === 4 ? rows : undefined;
      },
      60_000,
    );
    assert.ok(
      wave2.every((c) => c.owner === survivorOwner),
      `all on the survivor: ${JSON.stringify(wave2.map((c) => c.owner))}`,
    );

    // Everything still live is hung up over the API; the second wave's callers all get their BYE.
    for (const c of await calls(b, 'in-progress')) {
      const r = await api(b, 'POST', `/v1/calls/${c.id}/hangup`);
      assert.equal(r.body.result, 'applied', JSON.stringify(r.body));
    }
    const sipp2 = await wave2Callers.done;
    assert.equal(
      sipp2.code,
      0,
      `the second wave's calls all completed: ${sipp2.stdout.slice(-1500)} ${sipp2.stderr.slice(-1500)}`,
    );

    // Nothing leaks.
    const rows = await until('every call row final', async () => {
      const all = await calls(b);
      return all.length === 10 && all.every((c) => c.status === 'ended') ? all : undefined;
    });
    const reasons = rows.map((c) => c.endedReason).sort();
    assert.deepEqual(reasons, [...Array(8).fill('api-hangup'), 'lost', 'lost'].sort());
    await until('no call slot held', async () =>
      /^switchboard_call_slots_used 0$/m.test(
        await (await fetch(`${b.url}/metrics`, { headers: { 'x-internal-token': INTERNAL_TOKEN } })).text(),
      ),
    );
    await until(
      'the directory lists one worker and no call',
      async () => {
        const ready = (await b.get('/health/ready')).body as { checks?: { name: string; detail?: string }[] };
        const dir = ready.checks?.find((s) => s.name === 'call directory');
        return dir?.detail === '1 worker(s) alive, 0 live call(s) across them';
      },
      15_000,
    );
    const redis = new Redis(redisUrl!);
    try {
      const keys = await redis.keys('switchboard:ratelimit:*');
      for (const k of keys) assert.notEqual(await redis.pttl(k), -1, `${k} has an expiry`);
    } finally {
      await redis.quit();
    }
  });
});

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const i of items) m.set(key(i), [...(m.get(key(i)) ?? []), i]);
  return m;
}
