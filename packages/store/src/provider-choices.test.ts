import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Store } from './store.js';
import { openTestStore, testBackends } from './testing.js';

for (const backend of testBackends()) {
  describe(`agents' provider choices on ${backend}`, () => {
    let store: Store;
    before(async () => {
      store = await openTestStore(backend);
    });
    after(() => store.close());

    test('every workspace, the published version and a differing draft, the draft alone when unpublished', async () => {
      const a = (await store.accounts.createWorkspace('A')).id;
      const b = (await store.accounts.createWorkspace('B')).id;
      const live = await store.agents.create(a, {
        name: 'Live',
        publish: true,
        config: {
          providers: { asr: ['local:soundswallower'], llm: ['local:answerer'], tts: ['local:espeak'] },
        },
      });
      await store.agents.update(a, live.id, { config: { providers: { asr: ['local:pocketsphinx'] } } });
      await store.agents.create(b, {
        name: 'Draft only',
        config: { mode: 'sts', providers: { sts: ['local:whatever'] } },
      });
      const choices = await store.agents.providerChoices();
      const byName = Object.fromEntries(choices.map((c) => [c.name, c]));
      assert.equal(byName.Live?.workspaceId, a);
      assert.deepEqual(
        byName.Live?.configs.map((c) => c.providers.asr),
        [['local:soundswallower'], ['local:pocketsphinx']],
      );
      assert.equal(byName['Draft only']?.workspaceId, b);
      assert.deepEqual(
        byName['Draft only']?.configs.map((c) => [c.mode, c.providers.sts]),
        [['sts', ['local:whatever']]],
      );
    });
  });
}
