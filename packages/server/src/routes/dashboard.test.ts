import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { dashboardPlugin } from './dashboard.js';

describe('serving the dashboard', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-dashboard-'));
  let app: FastifyInstance;
  before(async () => {
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><div id="root"></div>');
    writeFileSync(join(dir, 'assets', 'app-ABC123.js'), 'console.log(1)');
    writeFileSync(join(dir, 'secret.txt'), 'not an asset');
    app = Fastify();
    app.get('/v1/agents', async () => ({ data: [] }));
    await app.register(async (scope) => dashboardPlugin(scope, { dir }));
    await app.ready();
  });
  after(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('every page path answers index.html, never cached, so a bookmark or reload keeps the page', async () => {
    for (const url of [
      '/',
      '/agents',
      '/agents/0f8b7c3e-2d4a-4b6e-9c1d-5e7f8a9b0c1d',
      '/calls?outcome=failed',
    ]) {
      const r = await app.inject({ url });
      assert.equal(r.statusCode, 200, url);
      assert.match(r.headers['content-type'] as string, /^text\/html/);
      assert.equal(r.headers['cache-control'], 'no-cache');
      assert.match(r.body, /id="root"/);
    }
  });

  test('assets are served with a year of immutable caching', async () => {
    const r = await app.inject({ url: '/assets/app-ABC123.js' });
    assert.equal(r.statusCode, 200);
    assert.match(r.headers['content-type'] as string, /^text\/javascript/);
    assert.equal(r.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.equal(r.body, 'console.log(1)');
  });

  test('the API, missing assets and paths out of the folder stay JSON 404s', async () => {
    assert.deepEqual((await app.inject({ url: '/v1/agents' })).json(), { data: [] });
    for (const url of ['/v1/nothing', '/v1', '/health/nothing', '/assets/missing.js', '/favicon.ico']) {
      const r = await app.inject({ url });
      assert.equal(r.statusCode, 404, url);
      assert.equal(r.json().error.code, 'not_found', url);
    }
    for (const url of ['/assets/../secret.txt', '/assets/%2e%2e/secret.txt', '/assets/..%2fsecret.txt']) {
      const r = await app.inject({ url });
      assert.notEqual(r.body, 'not an asset', url);
    }
  });
});
