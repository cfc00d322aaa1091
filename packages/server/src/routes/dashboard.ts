import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { send } from '../plugins/errors.js';

export interface DashboardOptions {
  /** The built dashboard: index.html and assets/ (packages/web/dist). */
  dir: string;
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

/** Paths the dashboard never answers for: unknown API routes there stay JSON 404s. */
const NOT_PAGES = ['/v1', '/internal', '/health', '/talk', '/docs', '/metrics', '/openapi.json', '/assets'];
const isReserved = (path: string) => NOT_PAGES.some((p) => path === p || path.startsWith(`${p}/`));

/**
 * Serves the dashboard at `/`: its assets under `/assets/` (content-hashed names, cached for a
 * year as immutable), and index.html for every other GET path that is not an API route, so the
 * single-page app's routes can be bookmarked and reloaded. index.html itself is never cached, so a
 * new build is picked up at the next load.
 */
export async function dashboardPlugin(app: FastifyInstance, opts: DashboardOptions): Promise<void> {
  const root = resolve(opts.dir);
  const indexFile = join(root, 'index.html');
  if (!existsSync(indexFile)) throw new Error(`the dashboard is not built: ${indexFile} is missing`);
  const index = readFileSync(indexFile);
  const assets = join(root, 'assets');
  const route = { config: { auth: 'public' as const, rateLimit: false as const }, schema: { hide: true } };

  app.get<{ Params: { '*': string } }>('/assets/*', route, async (req, reply) => {
    const file = resolve(assets, req.params['*']);
    const info = file.startsWith(assets + sep) ? await stat(file).catch(() => null) : null;
    if (!info?.isFile()) return send(reply, 404, 'not_found', `no asset ${req.params['*']}`);
    return reply
      .type(TYPES[extname(file)] ?? 'application/octet-stream')
      .header('cache-control', 'public, max-age=31536000, immutable')
      .header('content-length', info.size)
      .send(createReadStream(file));
  });

  const page = async (req: { url: string; method: string }, reply: import('fastify').FastifyReply) => {
    const path = req.url.split('?')[0] ?? '/';
    // Unknown API paths, and anything that looks like a missing file, stay 404s.
    if (isReserved(path) || extname(path) !== '') {
      return send(reply, 404, 'not_found', `no route for ${req.method} ${path}`);
    }
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(index);
  };
  app.get('/', route, page);
  app.get('/*', route, page);
}
