import { OutboundGuard } from '@switchboard/core';
import { crawl } from '@switchboard/knowledge';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../deps.js';
import { ws } from '../plugins/auth.js';
import { idParams, stdErrors } from '../schemas.js';
import { ingestDocument } from './knowledge-ingest.js';

const EXAMPLE_DOC_ID = '7e8f9a0b-1c2d-4e3f-8a4b-5c6d7e8f9a0b';
/** A crawl answers within this; pages not reached by then are reported as skipped. */
const CRAWL_DEADLINE_MS = 120_000;
const PAGE_TIMEOUT_MS = 15_000;

const webUrl = z
  .url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' })
  .max(2000)
  .describe('a web page to start from; links are followed within its own site (same origin)');

const crawlResult = z
  .object({
    url: z.string(),
    status: z
      .enum(['indexed', 'failed', 'skipped'])
      .describe(
        '`indexed`: stored as a document of the knowledge base. `failed`: fetched or read with an error ' +
          '(in `reason`). `skipped`: not fetched (page or time limit, robots.txt, a redirect to another site).',
      ),
    documentId: z.uuid().optional(),
    reason: z.string().optional(),
  })
  .meta({ id: 'CrawlResult' });

/** `POST /v1/knowledge-bases/{id}/crawl`: a one-off crawl of web pages into documents. */
export const knowledgeCrawlRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const { store, config, logger } = deps;
    // Every page goes through the guard: a workspace cannot aim the server at private addresses
    // (or anything OUTBOUND_ALLOWED_HOSTS does not open), redirects included.
    const network = OutboundGuard.fromConfig(config);
    app.addHook('onClose', () => network.close());

    app.post(
      '/knowledge-bases/:id/crawl',
      {
        config: { role: 'admin' as const },
        schema: {
          tags: ['knowledge bases'],
          summary: 'Crawl web pages into a knowledge base, once',
          description:
            'Reads the listed pages and, breadth first, the pages they link to on the same site (same origin ' +
            'as a listed URL), up to `maxDepth` link hops and `maxPages` pages; each page read becomes a ' +
            'document named by its URL (HTML, plain text, Markdown, PDF or Word, by its Content-Type), ' +
            "exactly as an upload would. Links the site's robots.txt disallows for every agent are left out " +
            '(the listed URLs are read as asked), as are links to images, scripts and other files that are ' +
            'not documents. Each page is bounded by `KB_MAX_UPLOAD_BYTES` and 15 s; the whole crawl by 2 ' +
            'minutes. Pages are fetched from the server under the same outbound rules as webhooks and HTTP ' +
            'tools: private and loopback addresses are refused unless `OUTBOUND_ALLOWED_HOSTS` opens them. ' +
            'Answers with one result per page. Nothing is crawled again later: crawl again to refresh ' +
            '(delete the old documents first). Needs the admin role; 404 for an unknown knowledge base.',
          params: idParams,
          body: z
            .strictObject({
              urls: z.array(webUrl).min(1).max(20),
              maxPages: z
                .number()
                .int()
                .min(1)
                .max(200)
                .default(25)
                .describe('pages read at most (default 25)'),
              maxDepth: z
                .number()
                .int()
                .min(0)
                .max(5)
                .default(2)
                .describe('link hops from a listed URL (default 2; 0 reads the listed URLs only)'),
            })
            .meta({ examples: [{ urls: ['https://www.bayviewdental.com/faq'], maxPages: 25, maxDepth: 1 }] }),
          response: {
            200: z
              .object({
                indexed: z.number().int(),
                failed: z.number().int(),
                skipped: z.number().int(),
                pages: z.array(crawlResult),
              })
              .meta({
                examples: [
                  {
                    indexed: 1,
                    failed: 1,
                    skipped: 1,
                    pages: [
                      {
                        url: 'https://www.bayviewdental.com/faq',
                        status: 'indexed',
                        documentId: EXAMPLE_DOC_ID,
                      },
                      {
                        url: 'https://www.bayviewdental.com/old-prices',
                        status: 'failed',
                        reason: 'the server answered HTTP 404',
                      },
                      {
                        url: 'https://www.bayviewdental.com/admin/',
                        status: 'skipped',
                        reason: "the site's robots.txt disallows it",
                      },
                    ],
                  },
                ],
              }),
            ...stdErrors,
          },
        },
      },
      async (req) => {
        const workspaceId = ws(req);
        const kb = await store.knowledge.getBase(workspaceId, req.params.id);
        const log = logger.child({ requestId: req.id, knowledgeBaseId: kb.id });
        let indexedAny = false;
        const pages = await crawl({
          urls: req.body.urls,
          maxPages: req.body.maxPages,
          maxDepth: req.body.maxDepth,
          maxBytes: config.KB_MAX_UPLOAD_BYTES,
          timeoutMs: PAGE_TIMEOUT_MS,
          deadlineMs: CRAWL_DEADLINE_MS,
          fetch: network.fetch,
          async onPage(page) {
            const doc = await ingestDocument(
              store,
              workspaceId,
              kb.id,
              { data: page.data, sourceName: page.url, contentType: mediaTypeOf(page.type) },
              log,
            ).catch((e: unknown) => ({
              status: 'failed' as const,
              error: e instanceof Error ? e.message : String(e),
              id: '',
            }));
            if (doc.status !== 'ready') return { status: 'failed', reason: doc.error ?? 'could not be read' };
            indexedAny = true;
            return { status: 'indexed', documentId: doc.id };
          },
        });
        if (indexedAny && kb.embeddingModel)
          void deps.knowledge?.embedding.kick(workspaceId, kb.id).catch(() => {});
        log.info({ pages: pages.length }, 'knowledge base crawl finished');
        const count = (s: string) => pages.filter((p) => p.status === s).length;
        return { indexed: count('indexed'), failed: count('failed'), skipped: count('skipped'), pages };
      },
    );
  };

const mediaTypeOf = (type: string) =>
  ({ html: 'text/html', txt: 'text/plain', md: 'text/markdown', pdf: 'application/pdf' })[type] ??
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
