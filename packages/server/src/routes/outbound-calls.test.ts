import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { testBackends } from '@switchboard/store/testing';
import { sql } from 'drizzle-orm';
import { bearer, createTestApp, type TestApp } from '../testing.js';

for (const backend of testBackends()) {
  describe(`outbound calls and campaigns API on ${backend}`, () => {
    let t: TestApp;
    let agentId: string;
    const from = '+14155550100';

    before(async () => {
      t = await createTestApp({ backend });
      const agent = await t.store.agents.create(t.workspaceId, {
        name: 'Caller',
        publish: true,
        config: { systemPrompt: 'Call {{name}} about {{topic}}.', variables: { topic: 'billing' } },
      });
      agentId = agent.id;
      await t.store.phoneNumbers.create(t.workspaceId, { number: from, connector: 'sip' });
    });
    after(() => t.close());

    const post = (url: string, payload: unknown) =>
      t.app.inject({ method: 'POST', url, headers: bearer(t.adminKey), payload: payload as object });

    test('POST /v1/calls queues a call (202) and a missing variable is a 400 naming it', async () => {
      const ok = await post('/v1/calls', {
        agent: agentId,
        to: '+14155550123',
        from,
        variables: { name: 'Ada' },
      });
      assert.equal(ok.statusCode, 202, ok.body);
      assert.equal(ok.json().status, 'queued');
      const bad = await post('/v1/calls', { agent: agentId, to: '+14155550123', from });
      assert.equal(bad.statusCode, 400);
      assert.equal(bad.json().error.details[0].path, 'body.variables.name');
      const badTo = await post('/v1/calls', { agent: agentId, to: '12345', from, variables: { name: 'A' } });
      assert.equal(badTo.statusCode, 400);
      assert.equal(badTo.json().error.details[0].path, 'body.to');
    });

    test('agentOverrides are validated like the agent document and the merged document is kept', async () => {
      const call = { agent: agentId, to: '+14155550125', from, variables: { name: 'Ada' } };
      const cases: [unknown, string][] = [
        [{ turnTaking: { endOfTurnSilenceMs: 'soon' } }, 'body.agentOverrides.turnTaking.endOfTurnSilenceMs'],
        [{ greetting: 'typo' }, 'body.agentOverrides'],
        [
          { providers: { llm: ['6b1f4e2a-3c5d-4e6f-8a9b-0c1d2e3f4a5b'] } },
          'body.agentOverrides.providers.llm.0',
        ],
        [{ tools: [{ type: 'teleport' }] }, 'body.agentOverrides.tools.0.type'],
      ];
      for (const [agentOverrides, path] of cases) {
        const r = await post('/v1/calls', { ...call, agentOverrides });
        assert.equal(r.statusCode, 400, r.body);
        const paths = (r.json().error.details as { path: string }[]).map((d) => d.path);
        assert.ok(paths.includes(path), `${JSON.stringify(agentOverrides)}: ${paths.join(', ')}`);
      }
      // An override may bring its own placeholder, which then needs a value.
      const needs = await post('/v1/calls', { ...call, agentOverrides: { greeting: 'Hi {{nickname}}' } });
      assert.equal(needs.statusCode, 400);
      assert.equal(needs.json().error.details[0].path, 'body.variables.nickname');

      const ok = await post('/v1/calls', {
        ...call,
        agentOverrides: { greeting: 'Hello {{name}}, a quick one.', turnTaking: { endOfTurnSilenceMs: 900 } },
      });
      assert.equal(ok.statusCode, 202, ok.body);
      assert.deepEqual(ok.json().agentOverrides, {
        greeting: 'Hello {{name}}, a quick one.',
        turnTaking: { endOfTurnSilenceMs: 900 },
      });
      const shown = await t.app.inject({ url: `/v1/calls/${ok.json().id}`, headers: bearer(t.adminKey) });
      const cfg = shown.json().agentConfig;
      assert.equal(cfg.greeting, 'Hello {{name}}, a quick one.');
      assert.equal(cfg.turnTaking.endOfTurnSilenceMs, 900);
      assert.equal(cfg.systemPrompt, 'Call {{name}} about {{topic}}.', 'the rest is the published version');
      assert.equal(typeof cfg.turnTaking.minInterruptionMs, 'number', 'objects merge key by key');
    });

    test('the same customCallId returns the same call, also for parallel requests', async () => {
      const body = {
        agent: agentId,
        to: '+14155550124',
        from,
        variables: { name: 'Bo' },
        customCallId: 'crm-42',
      };
      const replies = await Promise.all(Array.from({ length: 8 }, () => post('/v1/calls', body)));
      for (const r of replies) assert.equal(r.statusCode, 202, r.body);
      const ids = new Set(replies.map((r) => r.json().id));
      assert.equal(ids.size, 1);
      const again = await post('/v1/calls', body);
      assert.equal(again.json().id, [...ids][0]);
      assert.equal(again.headers['idempotent-replayed'], 'true');
      const rows = await t.store.calls.list(t.workspaceId, { limit: 200 });
      assert.equal(rows.data.filter((c) => c.customCallId === 'crm-42').length, 1);
      // Exactly one dispatch job exists for it.
      const jobs = (await t.store.database.db.execute(
        sql`select count(*)::int as n from pgboss.job where name = 'dialer-calls' and data->>'callId' = ${[...ids][0]}`,
      )) as unknown as { rows: { n: number }[] };
      assert.equal(jobs.rows[0]?.n, 1);
    });

    test('cancel ends a queued call as cancelled', async () => {
      const r = await post('/v1/calls', {
        agent: agentId,
        to: '+14155550125',
        from,
        variables: { name: 'Cy' },
      });
      const c = await post(`/v1/calls/${r.json().id}/cancel`, {});
      assert.equal(c.statusCode, 202);
      assert.equal(c.json().outcome, 'cancelled');
      const again = await post(`/v1/calls/${r.json().id}/cancel`, {});
      assert.equal(again.statusCode, 409);
    });

    test('a CSV with good and bad rows: bad rows reported by row and field, good rows added', async () => {
      const csv = [
        'phone,name,topic',
        '+14155550131,Ann,renewal',
        'not-a-number,Ben,',
        '+14155550133,,',
        '+1 (415) 555-0134,Dee,',
        '',
      ].join('\r\n');
      const r = await t.app.inject({
        method: 'POST',
        url: `/v1/campaigns?agentId=${agentId}&name=csv-mixed&callerId=${encodeURIComponent(from)}`,
        headers: { ...bearer(t.adminKey), 'content-type': 'text/csv' },
        payload: csv,
      });
      assert.equal(r.statusCode, 201, r.body);
      const { campaign, import: imp } = r.json();
      assert.equal(imp.received, 4);
      assert.equal(imp.added, 2);
      assert.deepEqual(
        imp.errors.map((e: { row: number; field: string }) => [e.row, e.field]),
        [
          [2, 'phone'],
          [3, 'name'],
        ],
      );
      const list = await t.app.inject({
        method: 'GET',
        url: `/v1/campaigns/${campaign.id}/contacts?status=pending`,
        headers: bearer(t.adminKey),
      });
      assert.deepEqual(
        list
          .json()
          .data.map((c: { phone: string }) => c.phone)
          .sort(),
        ['+14155550131', '+14155550134'],
      );
      // The same chunk again adds nothing.
      const again = await t.app.inject({
        method: 'POST',
        url: `/v1/campaigns/${campaign.id}/contacts`,
        headers: { ...bearer(t.adminKey), 'content-type': 'multipart/form-data; boundary=XyZ' },
        payload: `--XyZ\r\nContent-Disposition: form-data; name="file"; filename="c.csv"\r\nContent-Type: text/csv\r\n\r\n${csv}\r\n--XyZ--\r\n`,
      });
      assert.equal(again.statusCode, 200, again.body);
      assert.equal(again.json().added, 0);
      assert.equal(again.json().duplicates, 2);
      const got = await t.app.inject({
        method: 'GET',
        url: `/v1/campaigns/${campaign.id}`,
        headers: bearer(t.adminKey),
      });
      assert.equal(got.json().progress.contacts.pending, 2);
      for (const a of ['pause', 'resume', 'cancel']) {
        const res = await post(`/v1/campaigns/${campaign.id}/${a}`, {});
        assert.equal(res.statusCode, 200, res.body);
      }
      const final = await t.app.inject({
        method: 'GET',
        url: `/v1/campaigns/${campaign.id}`,
        headers: bearer(t.adminKey),
      });
      assert.equal(final.json().status, 'cancelled');
      assert.equal(final.json().progress.contacts.cancelled, 2);
    });

    test('JSON contacts with an unknown calling-window zone are refused naming the field', async () => {
      const r = await post('/v1/campaigns', {
        agentId,
        name: 'bad-zone',
        callerId: from,
        callingWindow: { timeZone: 'Mars/Olympus', days: [1], start: '09:00', end: '17:00' },
        contacts: [{ phone: '+14155550140', variables: { name: 'E' } }],
      });
      assert.equal(r.statusCode, 400);
      assert.equal(r.json().error.details[0].path, 'body.callingWindow.timeZone');
    });
  });
}
