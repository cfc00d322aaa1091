import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createTestApp } from '@switchboard/server/testing';
import { campaignCommand } from './campaign.js';

const sink = () => {
  const chunks: string[] = [];
  const stream = new Writable({
    write(c, _e, cb) {
      chunks.push(String(c));
      cb();
    },
  });
  return { stream, text: () => chunks.join('') };
};

test('campaign import creates a campaign, uploads in chunks and prints the rejected rows', async () => {
  const t = await createTestApp();
  try {
    const agent = await t.store.agents.create(t.workspaceId, {
      name: 'A',
      publish: true,
      config: { systemPrompt: 'Hello {{name}}' },
    });
    await t.store.phoneNumbers.create(t.workspaceId, { number: '+14155550100', connector: 'sip' });
    const url = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const file = join(mkdtempSync(join(tmpdir(), 'sb-cli-')), 'c.csv');
    writeFileSync(file, 'phone,name\n+14155550131,Ann\nbad,Ben\n+14155550133,\n+14155550134,Dee\n');
    const out = sink();
    const err = sink();
    const code = await campaignCommand(
      [
        'import',
        file,
        '--agent',
        agent.id,
        '--name',
        'cli',
        '--from',
        '+14155550100',
        '--url',
        url,
        '--key',
        t.adminKey,
        '--chunk',
        '2',
      ],
      out.stream,
      err.stream,
    );
    assert.equal(code, 2);
    assert.match(out.text(), /2 contacts added, 2 rows rejected/);
    assert.match(out.text(), /row 2: phone/);
    assert.match(out.text(), /row 3: name/);
  } finally {
    await t.close();
  }
});
