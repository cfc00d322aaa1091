import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { bearer, createTestApp, type TestApp } from '../testing.js';

// A crawl from the API: pages become documents an agent can search; the server fetches them under
// the outbound rules, so a workspace cannot use it to read private addresses.
describe('crawling web pages into a knowledge base', () => {
  let siteUrl = '';
  let server: http.Server;
  let open: TestApp;
  let closed: TestApp;
  before(async () => {
    server = http.createServer((req, res) => {
      const pages: Record<string, string> = {
        '/': '<h1>Bayview Dental</h1><a href="/parking">Parking</a>',
        '/parking': '<h2>Parking</h2><p>Patients park for free in the garage behind the building.</p>',
      };
      const body = pages[req.url ?? ''];
      if (body) res.writeHead(200, { 'content-type': 'text/html' }).end(body);
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    siteUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // One deployment opens loopback to the server's fetches, the other keeps the default rules.
    open = await createTestApp();
    closed = await createTestApp({ env: { OUTBOUND_ALLOWED_HOSTS: '' } });
  });
  after(async () => {
    await open.close();
    await closed.close();
    await new Promise<void>((r) => server.close(() => r()));
  });

  const newBase = async (t: TestApp) => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/knowledge-bases',
      headers: bearer(t.adminKey),
      payload: { name: 'Website' },
    });
    assert.equal(res.statusCode, 201, res.body);
    return res.json().id as string;
  };
  const crawlIt = (t: TestApp, kb: string, payload: Record<string, unknown>, key = t.adminKey) =>
    t.app.inject({ method: 'POST', url: `/v1/knowledge-bases/${kb}/crawl`, headers: bearer(key), payload });

  test('pages and the pages they link to become documents, and a search finds their text', async () => {
    const kb = await newBase(open);
    const res = await crawlIt(open, kb, { urls: [`${siteUrl}/`] });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.equal(body.indexed, 2, res.body);
    assert.deepEqual(
      body.pages.map((p: { url: string; status: string }) => [p.url, p.status]),
      [
        [`${siteUrl}/`, 'indexed'],
        [`${siteUrl}/parking`, 'indexed'],
      ],
    );
    const docs = await open.app.inject({
      url: `/v1/knowledge-bases/${kb}/documents`,
      headers: bearer(open.adminKey),
    });
    assert.deepEqual(
      docs
        .json()
        .data.map((d: { sourceName: string }) => d.sourceName)
        .sort(),
      [`${siteUrl}/`, `${siteUrl}/parking`],
      'each document is named by its URL',
    );
    const search = await open.app.inject({
      method: 'POST',
      url: `/v1/knowledge-bases/${kb}/search`,
      headers: bearer(open.adminKey),
      payload: { query: 'where do patients park' },
    });
    assert.equal(search.statusCode, 200, search.body);
    assert.match(JSON.stringify(search.json()), /garage behind the building/);
  });

  test('a private address is refused under the default outbound rules, page by page', async () => {
    const kb = await newBase(closed);
    const res = await crawlIt(closed, kb, { urls: [`${siteUrl}/`] });
    assert.equal(res.statusCode, 200, res.body);
    const [page] = res.json().pages;
    assert.equal(page.status, 'failed');
    assert.match(page.reason, /could not be fetched: .*(private|loopback|not allowed|refused)/i);
    assert.equal(res.json().indexed, 0);
  });

  test('only admins crawl; bad input is named', async () => {
    const kb = await newBase(open);
    const member = (await open.store.apiKeys.create(open.workspaceId, { name: 'm', role: 'member' })).key;
    assert.equal((await crawlIt(open, kb, { urls: [`${siteUrl}/`] }, member)).statusCode, 403);
    const ftp = await crawlIt(open, kb, { urls: ['ftp://example.com/file'] });
    assert.equal(ftp.statusCode, 400);
    assert.match(ftp.body, /urls\.0/);
    assert.match(ftp.body, /http:\/\/ or https:\/\//);
    assert.equal((await crawlIt(open, kb, { urls: [] })).statusCode, 400);
    assert.equal((await crawlIt(open, kb, { urls: [`${siteUrl}/`], maxPages: 1000 })).statusCode, 400);
    const unknown = await crawlIt(open, '00000000-0000-4000-8000-000000000000', { urls: [`${siteUrl}/`] });
    assert.equal(unknown.statusCode, 404);
  });
});
