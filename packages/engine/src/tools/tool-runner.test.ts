import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { silentLogger, type ToolConfig, toolSchema } from '@switchboard/core';
import { systemClock } from '../util/clock.js';
import { ToolRunner } from './tool-runner.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}
const seen: Seen[] = [];
let base = '';
const server = createServer((req, res) => {
  let body = '';
  req.on('data', (c) => {
    body += c;
  });
  req.on('end', () => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
    if (req.url?.startsWith('/fail')) {
      res.writeHead(500).end('boom');
    } else if (req.url?.startsWith('/slow')) {
      setTimeout(() => res.end('{}'), 500);
    } else {
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ booked: true, echo: body }));
    }
  });
});
before(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

const tool = (t: Record<string, unknown>): ToolConfig => toolSchema.parse(t);
const ctx = { callId: 'call-1', clock: systemClock, logger: silentLogger() };
const signal = new AbortController().signal;

test('http tool POSTs the arguments with a verifiable signature', async () => {
  const runner = new ToolRunner(
    [
      tool({
        type: 'http',
        name: 'book',
        description: 'Book a table',
        url: `${base}/book`,
        parameters: { type: 'object', properties: { people: { type: 'integer' } }, required: ['people'] },
        signingCredentialId: '00000000-0000-4000-8000-000000000001',
      }),
    ],
    { ...ctx, resolveSecret: async () => 's3cret' },
  );
  const out = await runner.run({ id: 't1', name: 'book', arguments: '{"people":4}' }, signal);
  assert.equal(out.ok, true);
  assert.deepEqual(out.result, { booked: true, echo: '{"people":4}' });
  const req = seen.at(-1)!;
  assert.equal(req.method, 'POST');
  assert.equal(req.headers['x-switchboard-call-id'], 'call-1');
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(req.headers['x-switchboard-signature']));
  assert.ok(m, 'signature header present');
  const expected = createHmac('sha256', 's3cret').update(`${m[1]}.${req.body}`).digest('hex');
  assert.equal(m[2], expected);
});

test('http tool GET sends arguments as the query string', async () => {
  const runner = new ToolRunner(
    [tool({ type: 'http', name: 'look', description: 'x', url: `${base}/look`, method: 'GET' })],
    ctx,
  );
  const out = await runner.run({ id: 't1', name: 'look', arguments: '{"q":"pizza"}' }, signal);
  assert.equal(out.ok, true);
  assert.equal(seen.at(-1)?.url, '/look?q=pizza');
  assert.equal(seen.at(-1)?.headers['x-switchboard-signature'], undefined);
});

test('http errors and timeouts become tool errors, never throws', async () => {
  const runner = new ToolRunner(
    [
      tool({ type: 'http', name: 'fail', description: 'x', url: `${base}/fail` }),
      tool({ type: 'http', name: 'slow', description: 'x', url: `${base}/slow`, timeoutMs: 100 }),
    ],
    ctx,
  );
  const failed = await runner.run({ id: 'a', name: 'fail', arguments: '{}' }, signal);
  assert.equal(failed.ok, false);
  assert.match(JSON.stringify(failed.result), /HTTP 500/);
  const slow = await runner.run({ id: 'b', name: 'slow', arguments: '{}' }, signal);
  assert.equal(slow.ok, false);
  assert.match(JSON.stringify(slow.result), /timed out/);
});

test('invalid JSON, schema violations and unknown tools are reported to the model', async () => {
  const runner = new ToolRunner([tool({ type: 'send_dtmf' })], ctx);
  const bad = await runner.run({ id: 'a', name: 'send_dtmf', arguments: '{digits' }, signal);
  assert.match(JSON.stringify(bad.result), /not valid JSON/);
  const invalid = await runner.run({ id: 'a', name: 'send_dtmf', arguments: '{"digits":"12x"}' }, signal);
  assert.equal(invalid.ok, false);
  assert.match(JSON.stringify(invalid.result), /\/digits/);
  const unknown = await runner.run({ id: 'a', name: 'nope', arguments: '{}' }, signal);
  assert.match(JSON.stringify(unknown.result), /unknown tool/);
});

test('built-ins: dtmf is sent, end_call and transfer return effects', async () => {
  const sent: string[] = [];
  const runner = new ToolRunner(
    [
      tool({ type: 'send_dtmf' }),
      tool({ type: 'end_call' }),
      tool({
        type: 'transfer',
        destinations: [
          { label: 'sales', target: '+15550001' },
          { label: 'support', target: 'sip:support@example.com' },
        ],
        message: 'Transferring you now.',
      }),
    ],
    { ...ctx, sendDtmf: async (d) => void sent.push(d) },
  );
  assert.equal(
    (await runner.run({ id: '1', name: 'send_dtmf', arguments: '{"digits":"12#"}' }, signal)).ok,
    true,
  );
  assert.deepEqual(sent, ['12#']);
  const end = await runner.run({ id: '2', name: 'end_call', arguments: '' }, signal);
  assert.deepEqual(end.effect, { kind: 'end-call' });
  const transfer = await runner.run(
    { id: '3', name: 'transfer', arguments: '{"destination":"support"}' },
    signal,
  );
  assert.deepEqual(transfer.effect, {
    kind: 'transfer',
    target: 'sip:support@example.com',
    message: 'Transferring you now.',
    mode: 'cold',
    hold: 'music',
    timeoutMs: 30_000,
  });
  const missing = await runner.run({ id: '4', name: 'transfer', arguments: '{}' }, signal);
  assert.equal(missing.ok, false);
});
