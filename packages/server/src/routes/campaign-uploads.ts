import type { FastifyInstance } from 'fastify';

/**
 * Lets the campaign routes take a CSV as the raw body (`text/csv`) or as the first file of a
 * `multipart/form-data` upload. Registered inside the campaign plugin only.
 */
export function acceptCsvBodies(app: FastifyInstance): void {
  app.addContentTypeParser(['text/csv', 'text/plain'], { parseAs: 'string' }, (_req, body, done) =>
    done(null, body),
  );
  app.addContentTypeParser('multipart/form-data', { parseAs: 'buffer' }, (req, body, done) => {
    const boundary = /boundary="?([^";]+)"?/i.exec(req.headers['content-type'] ?? '')?.[1];
    if (!boundary)
      return done(Object.assign(new Error('multipart body without a boundary'), { statusCode: 400 }));
    const file = firstPart(body as Buffer, boundary);
    if (file === undefined) {
      return done(Object.assign(new Error('multipart body has no file part'), { statusCode: 400 }));
    }
    done(null, file);
  });
}

/** The content of the first part that carries a file (or, failing that, the first part). */
function firstPart(body: Buffer, boundary: string): string | undefined {
  const text = body.toString('utf8');
  const parts = text.split(`--${boundary}`).slice(1, -1);
  let fallback: string | undefined;
  for (const part of parts) {
    const split = part.indexOf('\r\n\r\n');
    if (split < 0) continue;
    const headers = part.slice(0, split);
    const content = part.slice(split + 4).replace(/\r\n$/, '');
    if (/filename=/i.test(headers)) return content;
    fallback ??= content;
  }
  return fallback;
}
