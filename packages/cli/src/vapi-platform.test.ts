import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { FakeVapi } from '@switchboard/integrations/testing';
import { startTestPlatform, type TestPlatform, waitFor } from './platform-testkit.js';

// Vapi as a run target through the whole platform: an admin sets the workspace's Vapi key (checked
// against a fake Vapi over a real socket), agents marked runOnVapi are synced on publish, and a
// bulk sync where Vapi refuses one agent answers 207 with that agent in error.
describe('Vapi sync through the platform', () => {
  let t: TestPlatform;
  let vapi: FakeVapi;
  let admin: Record<string, string>;
  let member: Record<string, string>;
  const logs: string[] = [];

  before(async () => {
    vapi = await FakeVapi.start();
    t = await startTestPlatform({ VAPI_API_URL: vapi.url }, { logLevel: 'debug', logs });
    const { store } = t.platform;
    const a = await store.apiKeys.create(t.workspaceId, { name: 'admin', role: 'admin' });
    const m = await store.apiKeys.create(t.workspaceId, { name: 'member', role: 'member' });
    admin = { authorization: `Bearer ${a.key}`, 'content-type': 'application/json' };
    member = { authorization: `Bearer ${m.key}`, 'content-type': 'application/json' };
  });
  after(async () => {
    await t?.close();
    await vapi?.close();
  });

  const call = (headers: Record<string, string>, method: string, path: string, body?: unknown) =>
    fetch(`${t.appUrl}${path}`, {
      method,
      ...(body !== undefined
        ? { headers, body: JSON.stringify(body) }
        : { headers: { authorization: headers.authorization ?? '' } }),
    });
  const api = (method: string, path: string, body?: unknown, extra: Record<string, string> = {}) =>
    call({ ...admin, ...extra }, method, path, body);
  const writes = () => vapi.assistantWrites();

  test('the key is checked with a real call and only admins set or read it', async () => {
    const early = await api('POST', '/v1/agents', { name: 'Too early', runOnVapi: true });
    assert.equal(early.status, 400);
    assert.match(
      ((await early.json()) as { error: { details: { path: string }[] } }).error.details[0]!.path,
      /runOnVapi/,
    );

    const wrong = await api('PUT', '/v1/vapi', { privateKey: 'not-the-right-key-at-all' });
    assert.equal(wrong.status, 422);
    const err = (await wrong.json()) as { error: { message: string; details: { path: string }[] } };
    assert.match(err.error.message, /check "auth" failed/);
    assert.equal(err.error.details[0]!.path, 'body.privateKey');
    assert.equal((await api('GET', '/v1/vapi')).status, 404, 'nothing was saved');
    assert.deepEqual(vapi.requests.at(-1)?.path, '/assistant?limit=1');

    assert.equal((await call(member, 'PUT', '/v1/vapi', { privateKey: vapi.privateKey })).status, 403);
    const saved = await api('PUT', '/v1/vapi', { privateKey: vapi.privateKey });
    assert.equal(saved.status, 200, await saved.clone().text());
    const text = await saved.text();
    assert.ok(!text.includes(vapi.privateKey), 'the key is never returned');
    const view = JSON.parse(text) as { enabled: boolean; maskedKey: string; serverUrl: string };
    assert.equal(view.enabled, true);
    assert.equal(view.maskedKey, `••••${vapi.privateKey.slice(-4)}`);
    assert.equal(view.serverUrl, `${t.publicUrl}/v1/vapi/events/${t.workspaceId}`);
    assert.equal((await call(member, 'GET', '/v1/vapi')).status, 403);
  });

  let agentId: string;
  let assistantId: string;

  test('publishing creates the assistant once, then a publish sends only the changed fields', async () => {
    const created = await api('POST', '/v1/agents', {
      name: 'Front desk',
      runOnVapi: true,
      config: { greeting: 'Hello, front desk.', systemPrompt: 'You answer the phone.' },
    });
    assert.equal(created.status, 201, await created.clone().text());
    agentId = ((await created.json()) as { id: string; runOnVapi: boolean }).id;
    assert.equal(writes().length, 0, 'nothing is created before the first publish');
    const pending = (await (await api('GET', `/v1/agents/${agentId}/vapi`)).json()) as { state: string };
    assert.equal(pending.state, 'pending');

    const published = await api(
      'POST',
      `/v1/agents/${agentId}/publish`,
      {},
      { 'x-request-id': 'sync-req-1' },
    );
    assert.equal(published.status, 201);
    assert.equal(writes().length, 1);
    const create = writes()[0]!;
    assert.equal(create.method, 'POST');
    assert.equal(create.path, '/assistant');
    assert.equal(create.headers['x-request-id'], 'sync-req-1');
    assert.equal(create.body?.name, 'Front desk');
    assert.equal(create.body?.firstMessage, 'Hello, front desk.');
    const server = create.body?.server as { url: string; headers: Record<string, string> };
    assert.equal(server.url, `${t.publicUrl}/v1/vapi/events/${t.workspaceId}`);
    assert.ok(server.headers['x-vapi-secret']);

    const state = (await (await api('GET', `/v1/agents/${agentId}/vapi`)).json()) as {
      state: string;
      assistantId: string;
      syncedVersion: number;
    };
    assert.equal(state.state, 'synced');
    assert.equal(state.syncedVersion, 1);
    assistantId = state.assistantId;
    const stored = await t.platform.store.vapi.syncRow(t.workspaceId, agentId);
    assert.ok(
      !JSON.stringify(stored?.syncedBody).includes(server.headers['x-vapi-secret']!),
      'the workspace secret is not kept in clear',
    );
    assert.ok(vapi.assistants.has(assistantId));

    // Every log line of that sync carries the request's id.
    const syncLines = logs.map(
      (l) => JSON.parse(l) as { msg: string; requestId?: string; subsystem?: string },
    );
    const vapiLines = syncLines.filter((l) => l.subsystem === 'vapi-sync');
    assert.ok(vapiLines.length > 0);
    assert.ok(vapiLines.filter((l) => l.requestId === 'sync-req-1').length > 0);
    for (const l of vapiLines) assert.ok(l.requestId, `log line "${l.msg}" has a request id`);

    const edit = await api('PATCH', `/v1/agents/${agentId}`, {
      config: { greeting: 'Hi, front desk here.' },
    });
    assert.equal(edit.status, 200);
    assert.equal(writes().length, 1, 'a draft edit does not reach Vapi');
    assert.equal((await api('POST', `/v1/agents/${agentId}/publish`, {})).status, 201);
    assert.equal(writes().length, 2);
    const patch = writes()[1]!;
    assert.equal(patch.method, 'PATCH');
    assert.equal(patch.path, `/assistant/${assistantId}`);
    assert.deepEqual(patch.body, { firstMessage: 'Hi, front desk here.' });

    // Publishing the same document again changes nothing on Vapi.
    assert.equal((await api('POST', `/v1/agents/${agentId}/publish`, {})).status, 201);
    assert.equal(writes().length, 2);
    // A rename re-syncs only this agent, with only the name.
    assert.equal((await api('PATCH', `/v1/agents/${agentId}`, { name: 'Reception' })).status, 200);
    assert.equal(writes().length, 3);
    assert.deepEqual(writes()[2]!.body, { name: 'Reception' });
  });

  test('a bulk sync where Vapi refuses one agent answers 207 and that agent is in error', async () => {
    const broken = (await (
      await api('POST', '/v1/agents', { name: 'Broken', runOnVapi: true, publish: true })
    ).json()) as { id: string };
    const before = writes().length;
    const brokenRow = await t.platform.store.vapi.syncRow(t.workspaceId, broken.id);
    assert.equal(brokenRow?.state, 'synced');
    // Vapi refuses every request about the broken agent's assistant, by name or by id.
    vapi.fail = (r) =>
      r.body?.name === 'Broken' || r.path.includes(brokenRow!.assistantId!) ? 400 : undefined;
    // Make the broken agent need an update, and the good one too.
    await api('PATCH', `/v1/agents/${broken.id}`, { config: { greeting: 'Broken line.' } });
    await api('PATCH', `/v1/agents/${agentId}`, { config: { greeting: 'Good morning.' } });
    const { store } = t.platform;
    await store.agents.publish(t.workspaceId, broken.id);
    await store.agents.publish(t.workspaceId, agentId);
    // The broken agent's assistant is deleted on Vapi's side, so its sync creates it again.
    vapi.assistants.delete(brokenRow!.assistantId!);

    const bulk = await call(member, 'POST', '/v1/vapi/sync', {});
    assert.equal(bulk.status, 207, await bulk.clone().text());
    const { results } = (await bulk.json()) as {
      results: { agentId: string; ok: boolean; state: string; operation: string; error: string | null }[];
    };
    assert.equal(results.length, 2);
    const good = results.find((r) => r.agentId === agentId)!;
    const bad = results.find((r) => r.agentId === broken.id)!;
    assert.deepEqual([good.ok, good.state, good.operation], [true, 'synced', 'updated']);
    assert.deepEqual([bad.ok, bad.state], [false, 'error']);
    assert.match(bad.error!, /400/);
    const badState = (await (await api('GET', `/v1/agents/${broken.id}/vapi`)).json()) as {
      state: string;
      error: string;
    };
    assert.equal(badState.state, 'error');
    assert.match(badState.error, /model\.provider/);
    assert.ok(writes().length > before);

    // The retry button: refused again is a 502, then it works once Vapi accepts.
    assert.equal((await call(member, 'POST', `/v1/agents/${broken.id}/vapi-sync`)).status, 502);
    vapi.fail = undefined;
    const retried = await call(member, 'POST', `/v1/agents/${broken.id}/vapi-sync`);
    assert.equal(retried.status, 200, await retried.clone().text());
    const r = (await retried.json()) as { state: string; operation: string; assistantId: string };
    assert.deepEqual([r.state, r.operation], ['synced', 'created']);
    assert.notEqual(r.assistantId, brokenRow!.assistantId);

    const all = await call(member, 'POST', '/v1/vapi/sync', {});
    assert.equal(all.status, 200);
  });

  test('unlinking deletes the assistant, and so does deleting the agent', async () => {
    const unlink = await api('PATCH', `/v1/agents/${agentId}`, { runOnVapi: false });
    assert.equal(unlink.status, 200);
    assert.equal(((await unlink.json()) as { runOnVapi: boolean }).runOnVapi, false);
    const del = writes().at(-1)!;
    assert.deepEqual([del.method, del.path], ['DELETE', `/assistant/${assistantId}`]);
    assert.equal((await api('GET', `/v1/agents/${agentId}/vapi`)).status, 404);
    assert.ok(!vapi.assistants.has(assistantId));

    const other = (await (
      await api('POST', '/v1/agents', { name: 'Short lived', runOnVapi: true, publish: true })
    ).json()) as { id: string };
    const row = await t.platform.store.vapi.syncRow(t.workspaceId, other.id);
    assert.equal(row?.state, 'synced');
    assert.equal((await api('DELETE', `/v1/agents/${other.id}`)).status, 204);
    assert.deepEqual(
      [writes().at(-1)!.method, writes().at(-1)!.path],
      ['DELETE', `/assistant/${row!.assistantId}`],
    );
    assert.equal(await t.platform.store.vapi.syncRow(t.workspaceId, other.id), null);
  });

  test('server messages from Vapi put the call in our call list, through the call events', async () => {
    const agent = (await (
      await api('POST', '/v1/agents', { name: 'Main line', runOnVapi: true, publish: true })
    ).json()) as { id: string };
    const row = await t.platform.store.vapi.syncRow(t.workspaceId, agent.id);
    const assistant = vapi.assistants.get(row!.assistantId!)!;
    const server = assistant.server as { url: string; headers: Record<string, string> };
    const secret = server.headers['x-vapi-secret']!;
    const path = new URL(server.url).pathname;
    const post = (message: unknown, headers: Record<string, string>) =>
      fetch(`${t.appUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ message }),
      });
    const call = {
      id: 'vapi-call-0001',
      type: 'inboundPhoneCall',
      assistantId: row!.assistantId,
      customer: { number: '+15551230001' },
      phoneNumber: { number: '+15559870002' },
    };
    const live = {
      type: 'status-update',
      status: 'in-progress',
      call,
      timestamp: '2026-03-02T10:15:04.220Z',
    };
    assert.equal((await post(live, {})).status, 401, 'no secret');
    assert.equal((await post(live, { 'x-vapi-secret': 'wrong' })).status, 401, 'wrong secret');
    const started = await post(live, { 'x-vapi-secret': secret });
    assert.equal(started.status, 200, await started.clone().text());
    const { callId } = (await started.json()) as { callId: string };

    const line = await post(
      {
        type: 'transcript',
        role: 'user',
        transcriptType: 'final',
        transcript: 'When are you open?',
        call,
        timestamp: '2026-03-02T10:15:07.000Z',
      },
      { 'x-vapi-secret': secret },
    );
    assert.equal(line.status, 200);
    await waitFor('the transcript line to be stored', async () =>
      (await t.platform.store.calls.events(t.workspaceId, callId)).some((e) => e.type === 'transcript.final'),
    );

    const report = JSON.stringify({
      message: {
        type: 'end-of-call-report',
        endedReason: 'customer-ended-call',
        call,
        startedAt: '2026-03-02T10:15:04.220Z',
        endedAt: '2026-03-02T10:16:31.000Z',
        artifact: {
          messages: [
            { role: 'system', message: 'You are the front desk.' },
            { role: 'user', message: 'When are you open?', secondsFromStart: 2.8 },
            { role: 'bot', message: 'Monday to Friday.', secondsFromStart: 4.1 },
          ],
          recordingUrl: 'https://storage.vapi.ai/vapi-call-0001-mono.wav',
        },
      },
    });
    const signed = (body: string, key: string) => createHmac('sha256', key).update(body).digest('hex');
    const badSig = await fetch(`${t.appUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-vapi-signature': signed(report, 'not-the-secret') },
      body: report,
    });
    assert.equal(badSig.status, 401);
    const ended = await fetch(`${t.appUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-vapi-signature': signed(report, secret) },
      body: report,
    });
    assert.equal(ended.status, 200, await ended.clone().text());

    const c = await t.endedCall(callId);
    assert.equal(c.connector, 'vapi');
    assert.equal(c.externalId, 'vapi-call-0001');
    assert.equal(c.agentId, agent.id);
    assert.equal(c.direction, 'inbound');
    assert.equal(c.fromNumber, '+15551230001');
    assert.equal(c.outcome, 'completed');
    assert.equal(c.endedReason, 'caller-hangup');
    assert.equal(c.durationMs, 86_780);
    assert.equal(c.owner, null, 'no process here owns a call run on Vapi');
    const listed = (await (await api('GET', '/v1/calls?limit=5')).json()) as {
      data: { id: string; recordingUrl: string | null; outcome: string }[];
    };
    const item = listed.data.find((x) => x.id === callId);
    assert.equal(item?.recordingUrl, 'https://storage.vapi.ai/vapi-call-0001-mono.wav');
    // The transcript message told the story already; the report does not repeat it.
    const stored = await t.platform.store.calls.events(t.workspaceId, callId);
    assert.deepEqual(
      stored.filter((e) => e.type === 'transcript.final').map((e) => e.data.text),
      ['When are you open?'],
    );
    const types = t.events.filter((e) => e.callId === callId).map((e) => e.type);
    assert.deepEqual(types, ['call.started', 'call.answered', 'transcript.final', 'call.ended']);
    const endedEvent = t.events.find((e) => e.callId === callId && e.type === 'call.ended');
    assert.ok(endedEvent?.type === 'call.ended');
    assert.equal(endedEvent.data.transcript.length, 2);
    assert.equal(endedEvent.data.recordingUrl, 'https://storage.vapi.ai/vapi-call-0001-mono.wav');

    // Vapi retries a report it thinks was lost: nothing changes.
    const again = await fetch(`${t.appUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-vapi-secret': secret },
      body: report,
    });
    assert.equal(((await again.json()) as { applied: boolean }).applied, false);
    assert.equal(t.events.filter((e) => e.callId === callId && e.type === 'call.ended').length, 1);
  });

  test('numbers are imported once and bound to the assistant; a number Vapi cannot take is a failed item', async () => {
    const { store } = t.platform;
    await store.credentials.create(t.workspaceId, {
      name: 'twilio:AC22222222222222222222222222222222',
      value: 'twilio-auth-token-0123456789',
    });
    const agent = (await (
      await api('POST', '/v1/agents', { name: 'Imported line', runOnVapi: true, publish: true })
    ).json()) as { id: string };
    const assistantId = (await store.vapi.syncRow(t.workspaceId, agent.id))!.assistantId!;
    const twilio = await store.phoneNumbers.create(t.workspaceId, {
      number: '+15559870002',
      connector: 'twilio',
      agentId: agent.id,
      label: 'Main line',
    });
    const plivo = await store.phoneNumbers.create(t.workspaceId, {
      number: '+15559870003',
      connector: 'plivo',
      agentId: agent.id,
    });
    assert.equal(
      (await call(member, 'POST', '/v1/vapi/phone-numbers/import', { phoneNumberIds: [twilio.id] })).status,
      403,
    );
    const res = await api('POST', '/v1/vapi/phone-numbers/import', { phoneNumberIds: [twilio.id, plivo.id] });
    assert.equal(res.status, 207, await res.clone().text());
    const text = await res.text();
    assert.ok(!text.includes('twilio-auth-token'), 'the carrier secret is never returned');
    const { results } = JSON.parse(text) as {
      results: { phoneNumberId: string; ok: boolean; operation: string; error: string | null }[];
    };
    assert.deepEqual(
      results.map((r) => [r.phoneNumberId, r.ok, r.operation]),
      [
        [twilio.id, true, 'created'],
        [plivo.id, false, 'none'],
      ],
    );
    assert.match(results[1]!.error!, /only Twilio numbers/);
    const imports = vapi.requests.filter((r) => r.path.startsWith('/phone-number'));
    assert.equal(imports.length, 1);
    assert.deepEqual(imports[0]!.body, {
      provider: 'twilio',
      number: '+15559870002',
      twilioAccountSid: 'AC22222222222222222222222222222222',
      twilioAuthToken: 'twilio-auth-token-0123456789',
      name: 'Main line',
      assistantId,
    });
    // Again: nothing to do on Vapi.
    const again = await api('POST', '/v1/vapi/phone-numbers/import', { phoneNumberIds: [twilio.id] });
    assert.equal(again.status, 200);
    assert.equal(
      ((await again.json()) as { results: { operation: string }[] }).results[0]!.operation,
      'unchanged',
    );
    assert.equal(vapi.requests.filter((r) => r.path.startsWith('/phone-number')).length, 1);
  });

  test('knowledge bases go to Vapi as files with one query tool, uploaded again only when they change', async () => {
    const { store } = t.platform;
    const kb = await store.knowledge.createBase(t.workspaceId, {
      name: 'Clinic FAQ',
      description: 'Hours and prices',
    });
    const doc = await store.knowledge.createDocument(t.workspaceId, kb.id, {
      sourceName: 'faq.md',
      sourceType: 'md',
      sizeBytes: 40,
    });
    await store.knowledge.completeDocument(doc.id, [
      { content: 'We are open Monday to Friday.', headingPath: ['Hours'], tokenCount: 8 },
    ]);
    const mark = vapi.requests.length;
    const agent = (await (
      await api('POST', '/v1/agents', {
        name: 'Knowing line',
        runOnVapi: true,
        publish: true,
        config: { knowledge: { knowledgeBaseIds: [kb.id] } },
      })
    ).json()) as { id: string };
    const row = await store.vapi.syncRow(t.workspaceId, agent.id);
    assert.equal(row?.state, 'synced', row?.error ?? '');
    const sent = vapi.requests
      .slice(mark)
      .map((r) => `${r.method} ${r.path.replace(/[0-9a-f-]{36}/, ':id')}`);
    assert.deepEqual(sent, ['POST /file', 'POST /tool', 'POST /assistant']);
    const [fileId, text] = [...vapi.files.entries()].at(-1)!;
    assert.equal(text, '## Hours\nWe are open Monday to Friday.');
    const tool = vapi.tools.get(row!.queryToolId!)!;
    assert.deepEqual(tool.knowledgeBases, [
      { provider: 'google', name: 'Clinic FAQ', description: 'Hours and prices', fileIds: [fileId] },
    ]);
    const assistant = vapi.assistants.get(row!.assistantId!)!;
    assert.deepEqual((assistant.model as { toolIds: string[] }).toolIds, [row!.queryToolId]);

    // Unchanged knowledge: a publish uploads nothing.
    const again = vapi.requests.length;
    assert.equal((await api('POST', `/v1/agents/${agent.id}/publish`, {})).status, 201);
    assert.equal(vapi.requests.length, again);

    // A new document: the text is uploaded again, the tool points at the new file, the old file goes.
    const doc2 = await store.knowledge.createDocument(t.workspaceId, kb.id, {
      sourceName: 'prices.md',
      sourceType: 'md',
      sizeBytes: 30,
    });
    await store.knowledge.completeDocument(doc2.id, [
      { content: 'A check-up is $80.', headingPath: [], tokenCount: 6 },
    ]);
    const third = vapi.requests.length;
    const retry = await call(member, 'POST', `/v1/agents/${agent.id}/vapi-sync`);
    assert.equal(retry.status, 200, await retry.clone().text());
    const sent2 = vapi.requests
      .slice(third)
      .map((r) => `${r.method} ${r.path.replace(/[0-9a-f-]{36}/, ':id')}`);
    assert.deepEqual(sent2, ['POST /file', 'DELETE /file/:id', 'PATCH /tool/:id']);
    assert.ok(!vapi.files.has(fileId));
    const newFile = [...vapi.files.keys()].at(-1)!;
    assert.deepEqual(
      (vapi.tools.get(row!.queryToolId!)!.knowledgeBases as { fileIds: string[] }[])[0]!.fileIds,
      [newFile],
    );
  });
});
