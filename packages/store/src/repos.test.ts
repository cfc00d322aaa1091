import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AppError } from '@switchboard/core';
import { sql } from 'drizzle-orm';
import type { Store } from './store.js';
import { openTestStore, testBackends } from './testing.js';

const llmOnly = {
  mode: 'cascaded',
  providers: { asr: ['local:pocketsphinx'], llm: ['local:answerer'], tts: ['local:espeak'] },
};

for (const backend of testBackends()) {
  describe(`repositories on ${backend}`, () => {
    let store: Store;
    let ws: string;
    let other: string;

    before(async () => {
      store = await openTestStore(backend);
      ws = (await store.accounts.createWorkspace('Acme')).id;
      other = (await store.accounts.createWorkspace('Other')).id;
    });
    after(() => store.close());

    test('members: adding, roles, and password login', async () => {
      const m = await store.accounts.addMember(ws, {
        email: 'Owner@Example.com',
        password: 'correct horse battery',
        role: 'owner',
      });
      assert.equal(m.email, 'owner@example.com');
      assert.deepEqual(await store.accounts.verifyLogin('OWNER@example.com', 'correct horse battery'), {
        userId: m.userId,
      });
      assert.equal(await store.accounts.verifyLogin('owner@example.com', 'wrong password!!'), null);
      assert.equal(await store.accounts.verifyLogin('nobody@example.com', 'correct horse battery'), null);
      await assert.rejects(
        store.accounts.addMember(ws, { email: 'owner@example.com', role: 'viewer' }),
        (e: AppError) => e.code === 'conflict',
      );
      const s = await store.accounts.createSession(m.userId, ws, 60_000);
      assert.deepEqual(await store.accounts.findSession(s.token), {
        userId: m.userId,
        workspaceId: ws,
        role: 'owner',
      });
      await store.accounts.deleteSession(s.token);
      assert.equal(await store.accounts.findSession(s.token), null);
    });

    test('API keys are stored hashed, shown once, and scoped to their workspace', async () => {
      const { apiKey, key } = await store.apiKeys.create(ws, { name: 'ci', role: 'admin' });
      assert.ok(key.startsWith(`${apiKey.prefix}_`));
      assert.equal('keyHash' in apiKey, false);
      const rows = await store.database.db.execute(
        sql`select key_hash from api_keys where id = ${apiKey.id}`,
      );
      const stored = (rows as unknown as { rows: { key_hash: string }[] }).rows[0]!.key_hash;
      assert.notEqual(stored, key);
      assert.ok(!stored.includes(key.slice(12)));
      assert.deepEqual(await store.apiKeys.authenticate(key), {
        id: apiKey.id,
        workspaceId: ws,
        role: 'admin',
      });
      assert.equal(await store.apiKeys.authenticate(`${key}x`), null);
      await assert.rejects(store.apiKeys.revoke(other, apiKey.id), (e: AppError) => e.code === 'not_found');
      await store.apiKeys.revoke(ws, apiKey.id);
      assert.equal(await store.apiKeys.authenticate(key), null);
      const expired = await store.apiKeys.create(ws, {
        name: 'old',
        role: 'viewer',
        expiresAt: new Date(Date.now() - 1),
      });
      assert.equal(await store.apiKeys.authenticate(expired.key), null);
    });

    test('credentials are encrypted at rest and only ever shown masked', async () => {
      const secret = 'sk-live-0123456789abcdefXYZ9';
      const c = await store.credentials.create(ws, { name: 'openai', value: secret });
      assert.equal(c.masked, '••••XYZ9');
      assert.ok(!JSON.stringify(c).includes(secret));
      const raw = await store.database.db.execute(sql`select * from credentials where id = ${c.id}`);
      assert.ok(!JSON.stringify(raw).includes(secret.slice(0, 12)));
      assert.equal(await store.credentials.reveal(ws, c.id), secret);
      await assert.rejects(store.credentials.reveal(other, c.id), (e: AppError) => e.code === 'not_found');
      // A ciphertext moved to another row does not decrypt: it is bound to its workspace and id.
      const c2 = await store.credentials.create(ws, { name: 'other', value: 'another-secret-value' });
      await store.database.db.execute(
        sql`update credentials set ciphertext = (select ciphertext from credentials where id = ${c.id}) where id = ${c2.id}`,
      );
      await assert.rejects(store.credentials.reveal(ws, c2.id));
      await store.credentials.update(ws, c.id, { value: 'sk-rotated-key-000000001111' });
      assert.equal(await store.credentials.reveal(ws, c.id), 'sk-rotated-key-000000001111');
    });

    test('a credential in use by a provider cannot be deleted', async () => {
      const c = await store.credentials.create(ws, { name: 'dg', value: 'deepgram-secret-key-123' });
      const p = await store.providers.create(ws, {
        name: 'Deepgram',
        kind: 'asr',
        type: 'deepgram',
        settings: {},
        credentialId: c.id,
      });
      await assert.rejects(store.credentials.delete(ws, c.id), (e: AppError) => e.code === 'conflict');
      await assert.rejects(
        store.providers.create(other, {
          name: 'x',
          kind: 'asr',
          type: 'deepgram',
          settings: {},
          credentialId: c.id,
        }),
        (e: AppError) => e.code === 'not_found',
      );
      await store.providers.delete(ws, p.id);
      await store.credentials.delete(ws, c.id);
    });

    test('agents: drafts, immutable published versions, rollback', async () => {
      const a = await store.agents.create(ws, {
        name: 'Receptionist',
        config: { ...llmOnly, greeting: 'Hello!' },
      });
      assert.equal(a.currentVersion, null);
      assert.equal(a.hasUnpublishedChanges, true);
      assert.equal(a.draft.turnTaking.endOfTurnSilenceMs, 700, 'defaults are filled in');
      const v1 = await store.agents.publish(ws, a.id, { note: 'first' });
      assert.equal(v1.version, 1);
      const patched = await store.agents.update(ws, a.id, {
        config: { greeting: 'Hi there', turnTaking: { endOfTurnSilenceMs: 900 } },
      });
      assert.equal(patched.draft.greeting, 'Hi there');
      assert.equal(patched.draft.turnTaking.endOfTurnSilenceMs, 900);
      assert.equal(patched.draft.turnTaking.minInterruptionMs, 400, 'PATCH keeps fields not given');
      assert.equal(patched.hasUnpublishedChanges, true);
      assert.equal(
        (await store.agents.loadSnapshot(a.id))!.config.greeting,
        'Hello!',
        'draft edits do not reach calls',
      );
      await store.agents.publish(ws, a.id);
      assert.equal((await store.agents.loadSnapshot(a.id))!.config.greeting, 'Hi there');
      const v3 = await store.agents.rollback(ws, a.id, 1);
      assert.equal(v3.version, 3);
      assert.equal(v3.sourceVersion, 1);
      const snap = await store.agents.loadSnapshot(a.id);
      assert.equal(snap!.version, 3);
      assert.equal(snap!.config.greeting, 'Hello!');
      assert.ok(Object.isFrozen(snap!.config));
      await assert.rejects(
        store.database.db.execute(sql`update agent_versions set note = 'x' where agent_id = ${a.id}`),
        (e: Error) => /immutable/.test(String((e.cause as Error | undefined)?.message ?? e.message)),
      );
      const versions = await store.agents.listVersions(ws, a.id, { limit: 2 });
      assert.deepEqual(
        versions.data.map((v) => v.version),
        [3, 2],
      );
      const next = await store.agents.listVersions(ws, a.id, { limit: 2, cursor: versions.nextCursor! });
      assert.deepEqual(
        next.data.map((v) => v.version),
        [1],
      );
      assert.equal(next.nextCursor, null);
    });

    test('agent documents are validated with field paths; nothing changes on error', async () => {
      const a = await store.agents.create(ws, { name: 'Validated', config: llmOnly });
      await assert.rejects(
        store.agents.update(ws, a.id, { config: { turnTaking: { endOfTurnSilenceMs: 'soon' } } }),
        (e: AppError) =>
          e.code === 'validation_failed' &&
          e.details.some((d) => d.path === 'config.turnTaking.endOfTurnSilenceMs'),
      );
      await assert.rejects(
        store.agents.update(ws, a.id, {
          config: { providers: { llm: ['00000000-0000-4000-8000-000000000000'] } },
        }),
        (e: AppError) => e.details.some((d) => d.path === 'config.providers.llm.0'),
      );
      await assert.rejects(
        store.agents.update(ws, a.id, { config: { unknownField: true } }),
        (e: AppError) => e.code === 'validation_failed',
      );
      assert.deepEqual((await store.agents.get(ws, a.id)).draft, a.draft);
    });

    test('one default inbound agent per workspace, even under concurrent creates', async () => {
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) =>
          store.agents.create(ws, { name: `Default ${i}`, config: llmOnly, defaultInbound: true }),
        ),
      );
      assert.ok(results.some((r) => r.status === 'fulfilled'));
      for (const r of results) {
        if (r.status === 'rejected') assert.equal((r.reason as AppError).code, 'conflict');
      }
      const defaults = await store.agents.list(ws, { isDefault: 'inbound' });
      assert.equal(defaults.data.length, 1);
      const [row] = (
        (await store.database.db.execute(
          sql`select count(*)::int as n from agents where workspace_id = ${ws} and default_inbound`,
        )) as unknown as { rows: { n: number }[] }
      ).rows;
      assert.equal(row!.n, 1);
      // Moving the default to another agent leaves exactly one.
      const b = await store.agents.create(ws, { name: 'Takes over', config: llmOnly, defaultInbound: true });
      const after = await store.agents.list(ws, { isDefault: 'inbound' });
      assert.deepEqual(
        after.data.map((x) => x.id),
        [b.id],
      );
    });

    test('agent names are unique per workspace, not across workspaces', async () => {
      await store.agents.create(ws, { name: 'Sales', config: llmOnly });
      await assert.rejects(
        store.agents.create(ws, { name: 'Sales', config: llmOnly }),
        (e: AppError) => e.code === 'conflict',
      );
      await store.agents.create(other, { name: 'Sales', config: llmOnly });
    });

    test('resolver: number → agent, default fallback, and a publish invalidates the cache', async () => {
      const a = await store.agents.create(ws, {
        name: 'Routed',
        config: { ...llmOnly, greeting: 'v1' },
        publish: true,
      });
      await store.phoneNumbers.create(ws, { number: '+14155550100', connector: 'sip', agentId: a.id });
      const r1 = await store.resolver.resolveAgent({ connector: 'sip', number: '+14155550100' });
      assert.equal(r1.agentId, a.id);
      assert.equal(r1.config.greeting, 'v1');
      const invalidated = new Promise<void>((resolve) => {
        const off = store.resolver.onInvalidate((id) => {
          if (id === a.id) {
            off();
            resolve();
          }
        });
      });
      await store.agents.update(ws, a.id, { config: { greeting: 'v2' } });
      await store.agents.publish(ws, a.id);
      await invalidated;
      const r2 = await store.resolver.resolveAgent({ connector: 'sip', number: '+14155550100' });
      assert.equal(r2.version, 2);
      assert.equal(r2.config.greeting, 'v2');
      await assert.rejects(
        store.resolver.resolveAgent({ agentId: a.id, workspaceId: other }),
        (e: AppError) => e.code === 'not_found',
      );
      await assert.rejects(
        store.resolver.resolveAgent({ connector: 'sip', number: '+10000000000' }),
        (e: AppError) => e.code === 'not_found',
      );
    });

    test('calls: status progression appends and lists filter by workspace', async () => {
      const c = await store.calls.create({
        workspaceId: ws,
        direction: 'inbound',
        connector: 'sip',
        fromNumber: '+14155550111',
        toNumber: '+14155550100',
        status: 'ringing',
      });
      await store.calls.setStatus(c.id, 'in-progress', { answeredAt: new Date() });
      const ended = await store.calls.setStatus(c.id, 'ended', {
        outcome: 'completed',
        endedReason: 'caller-hangup',
      });
      assert.deepEqual(
        ended.statusProgression.map((s) => s.status),
        ['ringing', 'in-progress', 'ended'],
      );
      assert.equal((await store.calls.list(ws, { status: 'ended' })).data.length, 1);
      assert.equal((await store.calls.list(other, {})).data.length, 0);
      await assert.rejects(store.calls.get(other, c.id), (e: AppError) => e.code === 'not_found');
    });

    test('keyset pagination walks every row once', async () => {
      const w = (await store.accounts.createWorkspace('Paged')).id;
      for (let i = 0; i < 7; i++)
        await store.credentials.create(w, { name: `k${i}`, value: `secret-value-${i}` });
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.credentials.list(w, { limit: 3, cursor });
        seen.push(...page.data.map((c) => c.name));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      assert.equal(seen.length, 7);
      assert.equal(new Set(seen).size, 7);
    });
  });
}
