import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { silentLogger } from '@switchboard/core';
import { acquireDialQueue } from '@switchboard/dialer';
import { openTestStore, testBackends } from '@switchboard/store/testing';
import { waitFor } from './platform-testkit.js';
import { RETENTION_CRON, RETENTION_QUEUE, startRetentionJob } from './retention-job.js';

for (const backend of testBackends()) {
  test(`the daily retention job (${backend}): one schedule, at most one job queued or running, and a run deletes old data`, async () => {
    const store = await openTestStore(backend);
    const dataDir = mkdtempSync(join(tmpdir(), 'sb-retention-job-'));
    const { queue, release } = acquireDialQueue(store.database);
    try {
      await queue.start();
      const ws = (await store.accounts.createWorkspace('Clinic')).id;
      await store.retention.set(ws, { recordingsDays: 7 });
      mkdirSync(join(dataDir, 'recordings', ws), { recursive: true });
      const call = await store.calls.create({
        workspaceId: ws,
        direction: 'inbound',
        connector: 'sip',
        fromNumber: '+14155550187',
        toNumber: 'demo',
        status: 'ended',
        endedAt: new Date(Date.now() - 30 * 24 * 3600_000),
      });
      const file = join(dataDir, 'recordings', ws, `${call.id}.wav`);
      writeFileSync(file, 'RIFF');
      await store.calls.setStatus(call.id, 'ended', { recordingPath: file });

      // Two processes start with the same schedule and worker: still one schedule.
      const stops = [
        await startRetentionJob({ boss: queue.boss, store, dataDir, logger: silentLogger() }),
        await startRetentionJob({ boss: queue.boss, store, dataDir, logger: silentLogger() }),
      ];
      const schedules = await queue.boss.getSchedules(RETENTION_QUEUE);
      assert.equal(schedules.length, 1);
      assert.equal(schedules[0]?.cron, RETENTION_CRON);
      // The queue holds one job at a time: a second send while the first waits is refused.
      for (const stop of stops) await stop();
      const first = await queue.boss.send(RETENTION_QUEUE, {});
      const second = await queue.boss.send(RETENTION_QUEUE, {});
      assert.ok(first);
      assert.equal(second, null, 'exclusive: no second job while one is queued');

      const stop = await startRetentionJob({ boss: queue.boss, store, dataDir, logger: silentLogger() });
      try {
        await waitFor('the job to delete the old recording', () => !existsSync(file), 90_000);
        assert.equal((await store.calls.get(ws, call.id)).recordingPath, null);
      } finally {
        await stop();
      }
    } finally {
      await release();
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
}
