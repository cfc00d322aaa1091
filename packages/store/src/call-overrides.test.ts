import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { agentConfigSchema } from '@switchboard/core';
import { applyCallOverrides, type ResolvedAgent } from './resolver.js';

describe('per-call config URL', () => {
  let server: Server;
  let base: string;
  const seen: unknown[] = [];
  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => {
        body += d;
      });
      req.on('end', () => {
        seen.push(JSON.parse(body));
        if (req.url === '/ok') {
          res.setHeader('content-type', 'application/json');
          res.end(
            JSON.stringify({
              config: { greeting: 'Hello {{name}}, VIP line' },
              variables: { name: 'Ada', tier: 'gold' },
            }),
          );
        } else if (req.url === '/slow') {
          setTimeout(() => res.end('{}'), 500);
        } else if (req.url === '/invalid') {
          res.end(JSON.stringify({ config: { turnTaking: { endOfTurnSilenceMs: 'later' } } }));
        } else {
          res.statusCode = 500;
          res.end('boom');
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  const agent = (configUrl: string): ResolvedAgent => ({
    agentId: '11111111-1111-4111-8111-111111111111',
    workspaceId: '22222222-2222-4222-8222-222222222222',
    name: 'A',
    version: 4,
    config: agentConfigSchema.parse({ greeting: 'published' }),
    configUrl,
  });
  const call = {
    callId: 'c1',
    direction: 'inbound' as const,
    from: '+14155550100',
    to: '+14155550111',
    connector: 'sip',
    variables: { name: 'caller' },
  };

  test('overrides from the URL are merged into the published version', async () => {
    const r = await applyCallOverrides(agent(`${base}/ok`), call, { timeoutMs: 1000 });
    assert.equal(r.overridden, true);
    assert.equal(r.snapshot.config.greeting, 'Hello {{name}}, VIP line');
    assert.equal(
      r.snapshot.config.turnTaking.endOfTurnSilenceMs,
      700,
      'fields not overridden keep the published values',
    );
    assert.equal(r.snapshot.version, 4);
    assert.deepEqual(r.variables, { name: 'Ada', tier: 'gold' });
    const req = seen.at(-1) as { call: { from: string }; agent: { version: number } };
    assert.equal(req.call.from, '+14155550100');
    assert.equal(req.agent.version, 4);
  });

  for (const [path, error] of [
    ['/slow', /timed out/],
    ['/invalid', /invalid override at turnTaking.endOfTurnSilenceMs/],
    ['/error', /HTTP 500/],
  ] as const) {
    test(`falls back to the published version when the URL ${path.slice(1)}s`, async () => {
      const r = await applyCallOverrides(agent(`${base}${path}`), call, { timeoutMs: 150 });
      assert.equal(r.overridden, false);
      assert.equal(r.snapshot.config.greeting, 'published');
      assert.deepEqual(r.variables, { name: 'caller' });
      assert.match(r.error ?? '', error);
    });
  }
});
