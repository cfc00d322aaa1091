import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { localStackStatus } from './status.js';
import { aptInstallCommand, findBinary } from './util/binaries.js';

describe('localStackStatus', () => {
  it('lists each binary with its package and the install command for missing ones', async () => {
    const status = await localStackStatus();
    const names = status.components.map((c) => c.name);
    for (const n of ['pocketsphinx_continuous', 'flite', 'sox', 'espeak-ng', 'pocketsphinx en-us model']) {
      assert.ok(names.includes(n), n);
    }
    for (const c of status.components) {
      if (c.name !== 'pocketsphinx en-us model') assert.equal(c.present, findBinary(c.name) !== undefined);
    }
    const missing = status.components.filter((c) => !c.present);
    if (missing.length === 0) assert.equal(status.installCommand, undefined);
    else assert.match(status.installCommand ?? '', /^apt-get install -y /);
  });

  it('takes voice calls with the built-in recogniser when no system package is installed', async () => {
    const saved = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      const status = await localStackStatus();
      const bins = status.components.filter((c) => c.name !== 'pocketsphinx en-us model');
      assert.ok(bins.every((c) => !c.present));
      assert.equal(status.ready, true);
      assert.deepEqual(status.speechRecognition, {
        provider: 'local:soundswallower',
        label: 'built-in (soundswallower)',
        ready: true,
      });
      assert.equal(status.summary, 'speech recognition: built-in (soundswallower)');
      // The optional system providers still say how to get them.
      assert.match(status.installCommand ?? '', /pocketsphinx pocketsphinx-en-us/);
      assert.match(status.installCommand ?? '', /flite/);
    } finally {
      process.env.PATH = saved;
    }
  });

  it('builds one apt command without duplicate packages', () => {
    assert.equal(
      aptInstallCommand(['pocketsphinx pocketsphinx-en-us', 'flite', 'pocketsphinx-en-us']),
      'apt-get install -y pocketsphinx pocketsphinx-en-us flite',
    );
  });
});
