import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { type CrawledPage, type CrawlOptions, crawl, extractLinks, robotsDisallows } from './crawl.js';

interface Page {
  type?: string;
  body: string | Buffer;
  status?: number;
  location?: string;
}

/** A small web site on loopback; its pages are set once its address is known. */
async function site() {
  const pages: Record<string, Page> = {};
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    hits.push(req.url ?? '');
    const page = pages[req.url ?? ''];
    if (!page) {
      res.writeHead(404).end('not here');
      return;
    }
    res.writeHead(page.status ?? 200, {
      'content-type': page.type ?? 'text/html; charset=utf-8',
      ...(page.location ? { location: page.location } : {}),
    });
    res.end(page.body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    pages,
    hits,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe('crawling a site into documents', () => {
  let main: Awaited<ReturnType<typeof site>>;
  let other: Awaited<ReturnType<typeof site>>;
  before(async () => {
    main = await site();
    other = await site();
    other.pages['/elsewhere'] = { body: '<p>Another site.</p>' };
    Object.assign(main.pages, {
      '/robots.txt': {
        type: 'text/plain',
        body: 'User-agent: Googlebot\nDisallow: /\n\nUser-agent: *\nDisallow: /private\n',
      },
      '/': {
        body: `<html><body><h1>Bayview Dental</h1>
          <a href="/hours">Hours</a> <a href="prices#top">Prices</a> <a href="/hours#again">again</a>
          <a href="/private/staff">Staff</a> <a href="/logo.png">logo</a> <a href="mailto:x@y.z">mail</a>
          <a href="${other.url}/elsewhere">partner</a> <a href="/gone">gone</a> <a href="/away">away</a>
          <a href="/notes.txt">notes</a> <a href="/big">big</a> <a href="/image">image</a>
          <a href="/secret" rel="nofollow">secret</a></body></html>`,
      },
      '/hours': { body: '<h2>Hours</h2><p>Open 8 to 6.</p><a href="/hours/saturday">Saturday</a>' },
      '/hours/saturday': { body: '<p>Saturday 9 to noon.</p><a href="/deeper">deeper</a>' },
      '/deeper': { body: '<p>Too deep.</p>' },
      '/prices': { body: '<p>A cleaning costs 80 dollars.</p>' },
      '/private/staff': { body: '<p>Staff only.</p>' },
      '/secret': { body: '<p>Secret.</p>' },
      '/notes.txt': { type: 'text/plain', body: 'Plain notes.' },
      '/away': { status: 302, location: `${other.url}/elsewhere`, body: '' },
      '/big': { body: Buffer.alloc(5000, 'a') },
      '/image': { type: 'image/png', body: Buffer.alloc(10) },
    } satisfies Record<string, Page>);
  });
  after(async () => {
    await main.close();
    await other.close();
  });

  const run = async (o: Partial<CrawlOptions> = {}) => {
    const read: CrawledPage[] = [];
    const results = await crawl({
      urls: [`${main.url}/`],
      maxPages: 50,
      maxDepth: 2,
      maxBytes: 4000,
      timeoutMs: 5000,
      deadlineMs: 30_000,
      fetch,
      onPage: async (p) => {
        read.push(p);
        return { status: 'indexed', documentId: `doc-${read.length}` };
      },
      ...o,
    });
    const by = Object.fromEntries(results.map((r) => [r.url.replace(main.url, ''), r]));
    return { read, results, by };
  };

  test('follows links on the same site, breadth first, within the depth; leaves out what it must', async () => {
    main.hits.length = 0;
    const { read, by } = await run();
    assert.deepEqual(
      read.map((p) => p.url.replace(main.url, '')),
      ['/', '/hours', '/prices', '/notes.txt', '/hours/saturday'],
      'each page once (fragments dropped), nearest first, no deeper than two hops',
    );
    assert.deepEqual(
      read.map((p) => p.type),
      ['html', 'html', 'html', 'txt', 'html'],
    );
    assert.equal(by['/private/staff']?.status, 'skipped');
    assert.match((by['/private/staff'] as { reason: string }).reason, /robots\.txt/);
    assert.ok(!main.hits.includes('/private/staff'), 'a disallowed page is never requested');
    assert.equal(by['/gone']?.status, 'failed');
    assert.match((by['/gone'] as { reason: string }).reason, /HTTP 404/);
    assert.match((by['/away'] as { reason: string }).reason, /redirects to another site/);
    assert.match((by['/big'] as { reason: string }).reason, /larger than 4000 bytes/);
    assert.match((by['/image'] as { reason: string }).reason, /not a document type .*image\/png/);
    for (const never of ['/logo.png', '/deeper', '/secret'])
      assert.ok(!main.hits.includes(never), `${never} is not requested`);
    assert.equal(other.hits.filter((h) => h === '/elsewhere').length, 1, 'only through the redirect');
    assert.equal(by['/']?.status, 'indexed');
  });

  test('the page limit stops the crawl and says so; a listed URL is read even where robots.txt says no', async () => {
    const limited = await run({ maxPages: 2 });
    assert.equal(limited.read.length, 2);
    const skipped = limited.results.filter(
      (r) => r.status === 'skipped' && /stopped at 2 pages/.test(r.reason),
    );
    assert.ok(skipped.length >= 3, JSON.stringify(limited.results));

    const listed = await run({ urls: [`${main.url}/private/staff`], maxDepth: 0 });
    assert.deepEqual(
      listed.read.map((p) => p.url.replace(main.url, '')),
      ['/private/staff'],
    );
    const unreachable = await run({ urls: ['http://127.0.0.1:1/'], maxDepth: 0 });
    assert.equal(unreachable.results[0]?.status, 'failed');
    assert.match((unreachable.results[0] as { reason: string }).reason, /could not be fetched/);
  });

  test('links, robots rules and their parsing', () => {
    assert.deepEqual(
      extractLinks(
        '<base href="https://a.test/docs/"><a href="x">x</a><a href="../y#z">y</a><a href="javascript:1">j</a>',
        'https://a.test/',
      ),
      ['https://a.test/docs/x', 'https://a.test/y'],
    );
    assert.deepEqual(
      robotsDisallows(
        'User-agent: a\nUser-agent: *\nDisallow: /x # comment\nDisallow:\n\nUser-agent: b\nDisallow: /y\n',
      ),
      ['/x'],
    );
  });
});
