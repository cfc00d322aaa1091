import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { after, before, test } from 'node:test';
import { bearer, createTestApp, type TestApp } from '@switchboard/server/testing';
import { chatCommand } from './chat.js';

let t: TestApp;
let url: string;
let agentId: string;
before(async () => {
  t = await createTestApp();
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  url = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
  const r = await t.app.inject({
    method: 'POST',
    url: '/v1/agents',
    headers: bearer(t.adminKey),
    payload: {
      name: 'Typed',
      publish: true,
      config: { greeting: 'Hi {{name}}', tools: [{ type: 'end_call' }] },
    },
  });
  agentId = r.json().id;
});
after(() => t.close());

test('switchboard chat: greeting, a typed turn, and the agent ending the conversation', async () => {
  const input = new PassThrough();
  const output = new PassThrough();
  let printed = '';
  output.on('data', (d) => {
    printed += String(d);
  });
  input.end('what are your hours\nthanks, bye\nnever sent\n');
  const code = await chatCommand([agentId, '--url', url, '--key', t.adminKey, '--var', 'name=Ada'], {
    input,
    output,
  });
  assert.equal(code, 0);
  assert.match(printed, /agent> Hi Ada/);
  assert.match(printed, /agent> You said: what are your hours/);
  assert.match(printed, /\[tool end_call/);
  assert.match(printed, /ended the conversation/);
  assert.doesNotMatch(printed, /never sent/);
});

test('a missing key prints the usage', async () => {
  const output = new PassThrough();
  let printed = '';
  output.on('data', (d) => {
    printed += String(d);
  });
  const saved = process.env.SWITCHBOARD_API_KEY;
  delete process.env.SWITCHBOARD_API_KEY;
  assert.equal(await chatCommand([agentId], { output }), 64);
  if (saved !== undefined) process.env.SWITCHBOARD_API_KEY = saved;
  assert.match(printed, /Usage: switchboard chat/);
});
