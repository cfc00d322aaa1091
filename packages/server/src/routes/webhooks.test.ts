import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '@switchboard/core';
import { createRecordingLinks, DeliveryWorker } from '@switchboard/events';
import { startReceiver, type TestReceiver } from '@switchboard/events/testing';
import { bearer, createTestApp, type TestApp } from '../testing.js';

describe('webhooks, deliveries and call results API', () => {
  let t: TestApp;
  let rx: TestReceiver;
  before(async () => {
    t = await createTestApp();
    rx = await startReceiver();
  });
  after(async () => {
    await rx.close();
    await t.close();
  });
  const h = () => bearer(t.adminKey);

  test('a webhook is created with its secret shown once; bad input names the field', async () => {
    const bad = await t.app.inject({
      method: 'POST',
      url: '/v1/webhooks',
      headers: h(),
      payload: { url: 'ftp://x', eventTypes: ['call.nope'], extra: 1 },
    });
    assert.equal(bad.statusCode, 400);
    const paths = (bad.json().error.details as { path: string }[]).map((d) => d.path).sort();
    assert.deepEqual(paths, ['body.eventTypes.0', 'body.extra', 'body.url']);

    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/webhooks',
      headers: h(),
      payload: { url: rx.url, eventTypes: ['call.ended', 'call.started'] },
    });
    assert.equal(res.statusCode, 201);
    const created = res.json();
    assert.match(created.secret, /^whsec_/);
    const got = await t.app.inject({ url: `/v1/webhooks/${created.id}`, headers: h() });
    assert.equal(got.json().secret, undefined);
    assert.equal(got.json().format, 'switchboard');
    const rotated = await t.app.inject({
      method: 'POST',
      url: `/v1/webhooks/${created.id}/rotate-secret`,
      headers: h(),
    });
    assert.notEqual(rotated.json().secret, created.secret);
    const patched = await t.app.inject({
      method: 'PATCH',
      url: `/v1/webhooks/${created.id}`,
      headers: h(),
      payload: { enabled: false },
    });
    assert.equal(patched.json().enabled, false);
    // An edit that leaves `enabled` and `format` out keeps them: no default sneaks back in.
    const renamed = await t.app.inject({
      method: 'PATCH',
      url: `/v1/webhooks/${created.id}`,
      headers: h(),
      payload: { description: 'still off' },
    });
    assert.equal(renamed.json().enabled, false, 'a disabled webhook stays disabled');
    assert.equal(renamed.json().format, created.format);
    const list = await t.app.inject({ url: '/v1/webhooks', headers: h() });
    assert.equal(list.json().data.length, 1);
    const del = await t.app.inject({ method: 'DELETE', url: `/v1/webhooks/${created.id}`, headers: h() });
    assert.equal(del.statusCode, 204);
  });

  test('external updates create events; failed deliveries are listed dead and replayable', async () => {
    const hook = (
      await t.app.inject({
        method: 'POST',
        url: '/v1/webhooks',
        headers: h(),
        payload: { url: rx.url, eventTypes: ['call.started', 'call.ended'], format: 'external-updates' },
      })
    ).json();
    const invalid = await t.app.inject({
      method: 'POST',
      url: '/v1/calls/external-updates',
      headers: h(),
      payload: [
        { call_id: 'a', status: 'in-progress' },
        { call_id: 'b', status: 'later' },
      ],
    });
    assert.equal(invalid.statusCode, 400);
    assert.deepEqual(
      (invalid.json().error.details as { path: string }[]).map((d) => d.path),
      ['body.1.status'],
    );
    const batch = [
      { call_id: 'bot-7', status: 'in-progress', phone_number: '+14155550123' },
      { call_id: 'bot-7', status: 'completed', duration_seconds: 12 },
    ];
    const ok = await t.app.inject({
      method: 'POST',
      url: '/v1/calls/external-updates',
      headers: h(),
      payload: batch,
    });
    assert.equal(ok.statusCode, 200);
    assert.deepEqual(
      ok.json().data.map((r: { applied: boolean }) => r.applied),
      [true, true],
    );
    const again = await t.app.inject({
      method: 'POST',
      url: '/v1/calls/external-updates',
      headers: h(),
      payload: batch,
    });
    assert.deepEqual(
      again.json().data.map((r: { applied: boolean }) => r.applied),
      [false, false],
    );

    rx.failWith = 404;
    const worker = new DeliveryWorker({ store: t.store, logger: silentLogger() });
    await worker.tick();
    const dead = await t.app.inject({ url: '/v1/deliveries?status=dead', headers: h() });
    assert.equal(dead.json().data.length, 1, 'the first event is dead; the second waits behind it');
    const perHook = await t.app.inject({
      url: `/v1/webhooks/${hook.id}/deliveries?status=pending`,
      headers: h(),
    });
    assert.equal(perHook.json().data.length, 1);
    rx.failWith = null;
    const replay = await t.app.inject({
      method: 'POST',
      url: `/v1/deliveries/${dead.json().data[0].id}/replay`,
      headers: h(),
    });
    assert.equal(replay.json().status, 'pending');
    while ((await worker.tick()) > 0) {}
    const items = rx.received.map((r) => (r.json as { status: string }[])[0]!.status);
    assert.deepEqual(items, ['in-progress', 'ended']);
    const bulk = await t.app.inject({ method: 'POST', url: `/v1/webhooks/${hook.id}/replay`, headers: h() });
    assert.equal(bulk.json().replayed, 0);
  });

  test('a recording opens with credentials or a valid signed link, and 404s when there is none', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-rec-'));
    const file = join(dir, 'call.wav');
    writeFileSync(file, Buffer.from('RIFF....WAVEfmt '));
    const call = await t.store.calls.create({
      workspaceId: t.workspaceId,
      direction: 'inbound',
      connector: 'sip',
      fromNumber: '+14155550100',
      toNumber: '+14155550101',
      recordingPath: file,
    });
    const url = `/v1/calls/${call.id}/recording`;
    assert.equal((await t.app.inject({ url })).statusCode, 401);
    const authed = await t.app.inject({ url, headers: h() });
    assert.equal(authed.statusCode, 200);
    assert.equal(authed.headers['content-type'], 'audio/wav');
    assert.equal(authed.body, 'RIFF....WAVEfmt ');
    const links = createRecordingLinks({ publicUrl: 'http://x', internalToken: t.internalToken });
    const signed = new URL(links.url(call.id));
    assert.equal((await t.app.inject({ url: `${url}${signed.search}` })).statusCode, 200);
    const expired = new URL(links.url(call.id, Date.now() - 30 * 24 * 3600_000));
    assert.equal((await t.app.inject({ url: `${url}${expired.search}` })).statusCode, 401);
    const other = await t.store.calls.create({
      workspaceId: t.workspaceId,
      direction: 'inbound',
      connector: 'sip',
      fromNumber: '1',
      toNumber: '2',
    });
    assert.equal(
      (await t.app.inject({ url: `/v1/calls/${other.id}/recording`, headers: h() })).statusCode,
      404,
    );
  });
});
