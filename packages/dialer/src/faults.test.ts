import assert from 'node:assert/strict';
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createStore, openDatabase, SecretBox, type Store } from '@switchboard/store';
import { createTestPostgresDatabase, TEST_MASTER_KEY, testPostgresUrl } from '@switchboard/store/testing';
import { CampaignService } from './campaign-service.js';
import { eventually, seedWorkspace, type TestWorkspace } from './fixtures/workspace.js';
import { OutboundCalls } from './outbound-calls.js';
import { acquireDialQueue } from './queue.js';

interface LogLine {
  e: 'start' | 'end';
  callId: string;
  from?: string;
  at: number;
  pid: number;
}

const skip = !testPostgresUrl() && !process.env.CI ? 'needs PostgreSQL (DATABASE_URL)' : false;
const WORKER = new URL('./fixtures/dial-worker.ts', import.meta.url).pathname;

function startWorker(url: string, log: string, durationMs: number, leaseTtlMs: number, rate: number) {
  const child = fork(WORKER, [url, log, String(durationMs), String(leaseTtlMs), String(rate)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const ready = new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`worker exited early (${code})`)));
  });
  return { child, ready };
}

const readLog = (file: string): LogLine[] => {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as LogLine);
  } catch {
    return [];
  }
};

const stopChild = (c: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (c.exitCode !== null || c.signalCode !== null) return resolve();
    c.once('exit', () => resolve());
    c.kill('SIGTERM');
  });

describe('dialer faults across processes (PostgreSQL)', { skip }, () => {
  let url: string;
  let drop: () => Promise<void>;
  let store: Store;
  let w: TestWorkspace;
  const dir = mkdtempSync(join(tmpdir(), 'sb-dialer-'));
  const children: ChildProcess[] = [];

  before(async () => {
    ({ url, drop } = await createTestPostgresDatabase());
    const database = await openDatabase({ url, poolSize: 5 });
    await database.migrate();
    store = createStore(database, new SecretBox(TEST_MASTER_KEY));
    await store.resolver.start();
    w = await seedWorkspace(store);
  });
  after(async () => {
    for (const c of children) await stopChild(c);
    await store.close();
    await drop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a worker killed mid-dispatch: after restart nothing is lost and nothing is placed twice', async () => {
    const log = join(dir, 'kill.log');
    const { queue, release } = acquireDialQueue(store.database, { expireInSeconds: 3 });
    const calls = new OutboundCalls(store, queue);
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) {
      const { call } = await calls.create(w.workspaceId, {
        agentId: w.agentId,
        to: `+1415555${String(3000 + i)}`,
        from: w.numbers,
        variables: { name: `n${i}` },
      });
      ids.push(call.id);
    }
    await release();
    const first = startWorker(url, log, 300, 2000, 20);
    children.push(first.child);
    await first.ready;
    await eventually(
      () => readLog(log).filter((l) => l.e === 'start').length >= 8,
      30_000,
      'first placements',
    );
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    const startedBeforeKill = new Set(
      readLog(log)
        .filter((l) => l.e === 'start')
        .map((l) => l.callId),
    );
    assert.ok(startedBeforeKill.size < ids.length, 'the worker died with work left');

    const second = startWorker(url, log, 300, 2000, 20);
    children.push(second.child);
    await second.ready;
    await eventually(
      async () =>
        (await store.calls.list(w.workspaceId, { limit: 200, status: 'ended' })).data.length === ids.length,
      60_000,
      'every call ended',
    );
    const starts = readLog(log).filter((l) => l.e === 'start');
    const perCall = new Map<string, number>();
    for (const s of starts) perCall.set(s.callId, (perCall.get(s.callId) ?? 0) + 1);
    assert.deepEqual(
      [...perCall.entries()].filter(([, n]) => n > 1),
      [],
      'no call placed twice',
    );
    const ended = (await store.calls.list(w.workspaceId, { limit: 200 })).data.filter((c) =>
      ids.includes(c.id),
    );
    for (const c of ended) {
      assert.equal(c.status, 'ended');
      if (c.outcome === 'completed') assert.equal(perCall.get(c.id), 1);
      // A call the dead worker had in hand ends failed, once; it is never re-dialled behind the
      // caller's back.
      else assert.equal(c.outcome, 'failed', `${c.id}: ${c.outcome}`);
    }
    // Calls the dead worker never reached were placed by the new one.
    const notStarted = ids.filter((id) => !startedBeforeKill.has(id));
    for (const id of notStarted) {
      const c = ended.find((x) => x.id === id);
      assert.ok(c?.outcome === 'completed' || c?.error?.includes('worker'), `${id} was lost`);
    }
    assert.equal((await store.database.db.query.dialerLeases.findMany()).length, 0, 'no slot leaked');
    await stopChild(second.child);
  });

  test('two worker processes share one campaign within its concurrency and rate, without duplicates', async () => {
    const log = join(dir, 'campaign.log');
    const concurrency = 3;
    const rate = 4;
    const campaigns = new CampaignService(store);
    const campaign = await campaigns.create(w.workspaceId, {
      agentId: w.agentId,
      name: 'two-workers',
      callerId: w.numbers[0]!,
      maxConcurrency: concurrency,
    });
    const contacts = Array.from({ length: 40 }, (_, i) => ({
      phone: `+1415555${String(4000 + i)}`,
      variables: { name: `c${i}` },
    }));
    const imp = await campaigns.importContacts(w.workspaceId, campaign.id, contacts, {
      isValidPhone: (v) => /^\+\d{8,15}$/.test(v),
    });
    assert.equal(imp.added, 40);
    const a = startWorker(url, log, 150, 5000, rate);
    const b = startWorker(url, log, 150, 5000, rate);
    children.push(a.child, b.child);
    await Promise.all([a.ready, b.ready]);
    await eventually(
      async () => (await campaigns.repo.get(w.workspaceId, campaign.id)).status === 'completed',
      90_000,
      'campaign completed',
    );
    const lines = readLog(log);
    const starts = lines.filter((l) => l.e === 'start');
    assert.equal(starts.length, 40);
    assert.equal(new Set(starts.map((s) => s.callId)).size, 40, 'no duplicates');
    assert.equal(new Set(starts.map((s) => s.pid)).size, 2, 'both processes dialled');
    // Concurrency: sweep the start/end events of both processes in time order.
    let live = 0;
    let peak = 0;
    const events = [...lines].sort((x, y) => x.at - y.at || (x.e === 'end' ? -1 : 1));
    for (const e of events) {
      live += e.e === 'start' ? 1 : -1;
      peak = Math.max(peak, live);
    }
    assert.ok(peak <= concurrency, `peak concurrency ${peak} > ${concurrency}`);
    // Rate: no one-second window holds more than `rate` starts.
    const times = starts.map((s) => s.at).sort((x, y) => x - y);
    let worst = 0;
    for (let i = 0, j = 0; i < times.length; i++) {
      while (times[i]! - times[j]! >= 1000) j++;
      worst = Math.max(worst, i - j + 1);
    }
    assert.ok(worst <= rate, `${worst} calls in one second > ${rate}`);
    const stats = await campaigns.repo.stats(w.workspaceId, campaign.id);
    assert.equal(stats.contacts.done, 40);
    assert.equal(stats.outcomes.completed, 40);
    await Promise.all([stopChild(a.child), stopChild(b.child)]);
  });
});
