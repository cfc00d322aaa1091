/**
 * A one-off crawl of a few web pages into a knowledge base: breadth first from the given URLs,
 * following links only within the start URLs' own sites (same origin), bounded in pages, depth,
 * bytes per page and total time, and keeping out of what the site's robots.txt disallows for every
 * agent. The network goes through the caller's `fetch` (the platform's outbound guard, which checks
 * every connection, redirects included). Written here rather than taken from a crawler library:
 * the crawlers on npm bring a browser or a queue service, and this needs one loop over `fetch`.
 */
import { Parser } from 'htmlparser2';
import { detectType, type SourceType } from './parse.js';

export interface CrawlOptions {
  /** Where to start; each one's origin is a site the crawl may follow links within. */
  urls: string[];
  /** Pages read at most, start URLs included. */
  maxPages: number;
  /** Link hops from a start URL (0: the start URLs only). */
  maxDepth: number;
  /** A page larger than this is skipped. */
  maxBytes: number;
  /** Per request. */
  timeoutMs: number;
  /** The whole crawl; pages not reached by then are reported as skipped. */
  deadlineMs: number;
  fetch: typeof fetch;
  /** Receives every page read, in crawl order; what it answers is the page's outcome. */
  onPage(page: CrawledPage): Promise<PageOutcome>;
}

export interface CrawledPage {
  url: string;
  type: SourceType;
  data: Buffer;
}

export type PageOutcome = { status: 'indexed'; documentId: string } | { status: 'failed'; reason: string };

export type CrawlResult =
  | { url: string; status: 'indexed'; documentId: string }
  | { url: string; status: 'failed' | 'skipped'; reason: string };

const USER_AGENT = 'SwitchboardKnowledgeCrawler/1.0';
/** Links to these are never documents a knowledge base can read. */
const NOT_DOCUMENTS =
  /\.(png|jpe?g|gif|webp|svg|ico|css|js|mjs|json|xml|zip|gz|tgz|mp3|mp4|wav|ogg|webm|woff2?|ttf|eot|exe|dmg|csv)$/i;

/** The `href`s of an HTML page's links, resolved against `base`, without fragments. */
export function extractLinks(html: string, base: string): string[] {
  const links: string[] = [];
  let baseHref = base;
  const parser = new Parser(
    {
      onopentag(name, attrs) {
        if (name === 'base' && attrs.href) {
          baseHref = resolve(attrs.href, base) ?? base;
          return;
        }
        if (name !== 'a' || !attrs.href || /\bnofollow\b/i.test(attrs.rel ?? '')) return;
        const url = resolve(attrs.href, baseHref);
        if (url) links.push(url);
      },
    },
    { decodeEntities: true },
  );
  parser.write(html);
  parser.end();
  return links;
}

function resolve(href: string, base: string): string | undefined {
  try {
    const u = new URL(href, base);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
    u.hash = '';
    return u.href;
  } catch {
    return undefined;
  }
}

/** `Disallow` path prefixes of robots.txt's group for every agent (`User-agent: *`). */
export function robotsDisallows(text: string): string[] {
  const out: string[] = [];
  let inGroup = false;
  let sawRule = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/#.*/, '').trim();
    const m = /^([A-Za-z-]+)\s*:\s*(.*)$/.exec(line);
    if (!m) continue;
    const key = m[1]!.toLowerCase();
    const value = m[2]!.trim();
    if (key === 'user-agent') {
      // Consecutive User-agent lines open one group; a rule line closes the list.
      if (sawRule) {
        inGroup = false;
        sawRule = false;
      }
      if (value === '*') inGroup = true;
    } else {
      sawRule = true;
      if (inGroup && key === 'disallow' && value) out.push(value);
    }
  }
  return out;
}

/** Crawls; resolves with one result per URL it read, refused or left out, in crawl order. */
export async function crawl(o: CrawlOptions): Promise<CrawlResult[]> {
  const deadline = Date.now() + o.deadlineMs;
  const results: CrawlResult[] = [];
  const seen = new Set<string>();
  const queue: { url: string; depth: number; listed: boolean }[] = [];
  const sites = new Set<string>();
  for (const u of o.urls) {
    const url = resolve(u, u);
    if (!url || seen.has(url)) continue;
    seen.add(url);
    sites.add(new URL(url).origin);
    queue.push({ url, depth: 0, listed: true });
  }
  const robots = new Map<string, Promise<string[]>>();
  const disallowed = async (url: URL) => {
    let rules = robots.get(url.origin);
    if (!rules) {
      rules = readRobots(url.origin, o).catch(() => []);
      robots.set(url.origin, rules);
    }
    const path = url.pathname + url.search;
    return (await rules).some((prefix) => path.startsWith(prefix));
  };
  let read = 0;
  while (queue.length > 0) {
    const next = queue.shift()!;
    if (read >= o.maxPages) {
      results.push({ url: next.url, status: 'skipped', reason: `the crawl stopped at ${o.maxPages} pages` });
      continue;
    }
    if (Date.now() > deadline) {
      results.push({ url: next.url, status: 'skipped', reason: 'the crawl ran out of time' });
      continue;
    }
    // The URLs a user listed are read as asked; robots.txt governs the links the crawl finds.
    if (!next.listed && (await disallowed(new URL(next.url)))) {
      results.push({ url: next.url, status: 'skipped', reason: "the site's robots.txt disallows it" });
      continue;
    }
    read++;
    const page = await fetchPage(next.url, o);
    if ('reason' in page) {
      results.push({ url: next.url, status: 'failed', reason: page.reason });
      continue;
    }
    if (!sites.has(new URL(page.finalUrl).origin)) {
      results.push({
        url: next.url,
        status: 'skipped',
        reason: `it redirects to another site (${page.finalUrl})`,
      });
      continue;
    }
    if (page.type === 'html' && next.depth < o.maxDepth) {
      for (const link of extractLinks(page.data.toString('utf8'), page.finalUrl)) {
        const u = new URL(link);
        if (seen.has(link) || !sites.has(u.origin) || NOT_DOCUMENTS.test(u.pathname)) continue;
        seen.add(link);
        queue.push({ url: link, depth: next.depth + 1, listed: false });
      }
    }
    const outcome = await o.onPage({ url: page.finalUrl, type: page.type, data: page.data });
    results.push({ url: next.url, ...outcome });
  }
  return results;
}

async function readRobots(origin: string, o: CrawlOptions): Promise<string[]> {
  const res = await o.fetch(`${origin}/robots.txt`, {
    headers: { 'user-agent': USER_AGENT },
    signal: AbortSignal.timeout(o.timeoutMs),
  });
  if (!res.ok) return [];
  return robotsDisallows((await res.text()).slice(0, 500_000));
}

async function fetchPage(
  url: string,
  o: CrawlOptions,
): Promise<{ finalUrl: string; type: SourceType; data: Buffer } | { reason: string }> {
  let res: Response;
  try {
    res = await o.fetch(url, {
      headers: {
        'user-agent': USER_AGENT,
        accept: 'text/html, text/plain, text/markdown, application/pdf, */*;q=0.5',
      },
      redirect: 'follow',
      signal: AbortSignal.timeout(o.timeoutMs),
    });
  } catch (e) {
    const cause = e instanceof Error && e.cause instanceof Error ? e.cause.message : undefined;
    const message = e instanceof Error ? e.message : String(e);
    return { reason: `could not be fetched: ${cause ?? message}` };
  }
  if (!res.ok) {
    await res.body?.cancel().catch(() => {});
    return { reason: `the server answered HTTP ${res.status}` };
  }
  const finalUrl = res.url || url;
  const contentType = res.headers.get('content-type') ?? undefined;
  const path = new URL(finalUrl).pathname;
  // The server's Content-Type first: a page at /about.php is HTML, whatever its name says.
  const type = detectType(undefined, contentType) ?? detectType(path, undefined);
  if (!type) {
    await res.body?.cancel().catch(() => {});
    return { reason: `not a document type a knowledge base reads (${contentType ?? 'no Content-Type'})` };
  }
  const declared = Number(res.headers.get('content-length') ?? 0);
  if (declared > o.maxBytes) {
    await res.body?.cancel().catch(() => {});
    return { reason: `larger than ${o.maxBytes} bytes` };
  }
  const chunks: Buffer[] = [];
  let size = 0;
  const reader = res.body?.getReader();
  if (reader) {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > o.maxBytes) {
        await reader.cancel().catch(() => {});
        return { reason: `larger than ${o.maxBytes} bytes` };
      }
      chunks.push(Buffer.from(value));
    }
  }
  return { finalUrl, type, data: Buffer.concat(chunks) };
}
