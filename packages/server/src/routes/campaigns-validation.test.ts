import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { testBackends } from '@switchboard/store/testing';
import { bearer, createTestApp, type TestApp } from '../testing.js';

// Regression: a CSV body without the settings in the query string was a 500, and every campaign
// field error read `invalid body: body`. Each one now names its field, row or column.
for (const backend of testBackends()) {
  describe(`campaign input errors name the field (${backend})`, () => {
    let t: TestApp;
    let agentId: string;
    const from = '+14155550100';

    before(async () => {
      t = await createTestApp({ backend });
      const agent = await t.store.agents.create(t.workspaceId, {
        name: 'Caller',
        publish: true,
        config: { systemPrompt: 'Call {{name}}.' },
      });
      agentId = agent.id;
      await t.store.phoneNumbers.create(t.workspaceId, { number: from, connector: 'sip' });
    });
    after(() => t.close());

    const send = (url: string, payload: string | object, type = 'application/json') =>
      t.app.inject({
        method: 'POST',
        url,
        headers: { ...bearer(t.adminKey), 'content-type': type },
        payload,
      });
    const paths = (r: { json(): { error: { details: { path: string }[] } } }) =>
      r.json().error.details.map((d) => d.path);
    const settings = (name: string) => `agentId=${agentId}&name=${name}&callerId=${encodeURIComponent(from)}`;
    const campaignsNamed = async (name: string) =>
      (await t.store.database.db.query.campaigns.findMany()).filter((c) => c.name === name).length;

    test('a CSV body without its settings in the query string is a 400 naming each missing one', async () => {
      const r = await send('/v1/campaigns', 'phone,name\n+14155550123,Ann\n', 'text/csv');
      assert.equal(r.statusCode, 400, r.body);
      assert.deepEqual(paths(r).sort(), ['querystring.agentId', 'querystring.callerId', 'querystring.name']);
      const partial = await send(
        `/v1/campaigns?agentId=${agentId}&name=half`,
        'phone\n+14155550123\n',
        'text/csv',
      );
      assert.equal(partial.statusCode, 400, partial.body);
      assert.deepEqual(paths(partial), ['querystring.callerId']);
    });

    test('JSON field errors name the field, inside contacts too', async () => {
      const r = await send('/v1/campaigns', {
        agentId,
        name: 7,
        callerId: from,
        contacts: [
          { phone: '+14155550123' },
          { phone: '+14155550124' },
          { phone: '+14155550125' },
          { phone: 42 },
        ],
      });
      assert.equal(r.statusCode, 400, r.body);
      assert.deepEqual(paths(r).sort(), ['body.contacts.3.phone', 'body.name']);
      assert.doesNotMatch(r.json().error.message, /invalid body: body$/);
      const unknown = await send('/v1/campaigns', { agentId, name: 'x', callerId: from, colour: 'red' });
      assert.equal(unknown.statusCode, 400);
      assert.deepEqual(paths(unknown), ['body.colour']);
      const created = await send('/v1/campaigns', { agentId, name: 'ok', callerId: from });
      assert.equal(created.statusCode, 201, created.body);
      const add = await send(`/v1/campaigns/${created.json().campaign.id}/contacts`, {
        contacts: [{ phone: '+14155550126' }, { phone: '+14155550127', variables: { name: ['Ann'] } }],
      });
      assert.equal(add.statusCode, 400, add.body);
      assert.deepEqual(paths(add), ['body.contacts.1.variables.name']);
    });

    test("a contact's agentOverrides are validated like the agent document and reach its call", async () => {
      const bad = await send('/v1/campaigns', {
        agentId,
        name: 'overrides',
        callerId: from,
        contacts: [
          { phone: '+14155550131', variables: { name: 'Ann' } },
          {
            phone: '+14155550132',
            variables: { name: 'Bo' },
            agentOverrides: { idle: { repromptAfterMs: -1 } },
          },
        ],
      });
      assert.equal(bad.statusCode, 400, bad.body);
      assert.ok(
        paths(bad).every((p) => p.startsWith('body.contacts.1.agentOverrides.idle')),
        paths(bad).join(),
      );
      assert.equal(await campaignsNamed('overrides'), 0, 'nothing is stored');

      const ok = await send('/v1/campaigns', {
        agentId,
        name: 'overrides',
        callerId: from,
        contacts: [
          { phone: '+14155550131', variables: { name: 'Ann' } },
          // Its own greeting needs a variable the other rows do not: the row without it is reported.
          { phone: '+14155550132', variables: { name: 'Bo' }, agentOverrides: { greeting: 'Hi {{nick}}' } },
          {
            phone: '+14155550133',
            variables: { name: 'Cy', nick: 'C' },
            agentOverrides: { greeting: 'Hi {{nick}}' },
          },
        ],
      });
      assert.equal(ok.statusCode, 201, ok.body);
      assert.deepEqual(ok.json().import.errors, [
        { row: 2, field: 'nick', message: 'missing variable the agent needs' },
      ]);
      const list = await t.app.inject({
        url: `/v1/campaigns/${ok.json().campaign.id}/contacts`,
        headers: bearer(t.adminKey),
      });
      const byPhone = new Map(
        (list.json().data as { phone: string; agentOverrides: unknown }[]).map((c) => [c.phone, c]),
      );
      assert.deepEqual(byPhone.get('+14155550133')?.agentOverrides, { greeting: 'Hi {{nick}}' });
      assert.equal(byPhone.get('+14155550131')?.agentOverrides, null);
    });

    test('a CSV cell with a NUL byte is a 400 naming its row and column, and nothing is stored', async () => {
      const csv = 'phone,name\n+14155550131,Ann\n+14155550132,B\u0000en\n';
      const r = await send(`/v1/campaigns?${settings('nul')}`, csv, 'text/csv');
      assert.equal(r.statusCode, 400, r.body);
      assert.match(r.json().error.message, /row 2, column name/);
      assert.equal(await campaignsNamed('nul'), 0, 'no campaign created');
      const created = await send('/v1/campaigns', { agentId, name: 'nul-later', callerId: from });
      const add = await send(
        `/v1/campaigns/${created.json().campaign.id}/contacts?firstRow=3`,
        'phone,name\n+1415555\u00000133,Cy\n',
        'text/csv',
      );
      assert.equal(add.statusCode, 400, add.body);
      assert.match(add.json().error.message, /row 3, column phone/);
    });

    test('a JSON contact with a lone surrogate is a 400 naming the field, not a 500', async () => {
      const body = `{"agentId":"${agentId}","name":"surrogate","callerId":"${from}","contacts":[{"phone":"+14155550141","variables":{"name":"\\ud800"}}]}`;
      const r = await send('/v1/campaigns', body);
      assert.equal(r.statusCode, 400, r.body);
      assert.ok(
        paths(r).some((p) => p.startsWith('body.contacts.0')),
        `names the contact: ${paths(r).join(', ')}`,
      );
      assert.equal(await campaignsNamed('surrogate'), 0);
    });
  });
}
