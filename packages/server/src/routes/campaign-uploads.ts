import type { FastifyInstance } from 'fastify';

/** One file of a `multipart/form-data` body. */
export interface UploadedFile {
  data: Buffer;
  fileName?: string;
  contentType?: string;
}

const badRequest = (message: string) => Object.assign(new Error(message), { statusCode: 400 });

/**
 * Lets the campaign routes take a CSV as the raw body (`text/csv`) or as the first file of a
 * `multipart/form-data` upload. Registered inside the campaign plugin only.
 */
export function acceptCsvBodies(app: FastifyInstance): void {
  app.addContentTypeParser(['text/csv', 'text/plain'], { parseAs: 'string' }, (_req, body, done) =>
    done(null, body),
  );
  app.addContentTypeParser('multipart/form-data', { parseAs: 'buffer' }, (req, body, done) => {
    try {
      done(null, multipartFile(body as Buffer, req.headers['content-type'] ?? '').data.toString('utf8'));
    } catch (e) {
      done(e as Error);
    }
  });
}

/**
 * The first part of a multipart body that carries a file (or, failing that, the first part), as
 * bytes: binary files (PDF, Word) pass through unchanged. Throws a 400 for a body without a
 * boundary or without parts.
 */
export function multipartFile(body: Buffer, contentType: string): UploadedFile {
  const boundary = /boundary="?([^";]+)"?/i.exec(contentType)?.[1];
  if (!boundary) throw badRequest('multipart body without a boundary');
  const delimiter = Buffer.from(`--${boundary}`);
  let fallback: UploadedFile | undefined;
  let at = body.indexOf(delimiter);
  while (at >= 0) {
    const start = at + delimiter.length;
    const next = body.indexOf(delimiter, start);
    if (next < 0) break;
    const part = body.subarray(start, next);
    at = next;
    const split = part.indexOf('\r\n\r\n');
    if (split < 0) continue;
    const headers = part.subarray(0, split).toString('utf8');
    let data = part.subarray(split + 4);
    if (data.subarray(-2).toString('latin1') === '\r\n') data = data.subarray(0, -2);
    const fileName = /filename="([^"]*)"/i.exec(headers)?.[1];
    const type = /content-type:\s*([^\r\n;]+)/i.exec(headers)?.[1]?.trim();
    const file: UploadedFile = {
      data,
      ...(fileName ? { fileName } : {}),
      ...(type ? { contentType: type } : {}),
    };
    if (fileName !== undefined) return file;
    fallback ??= file;
  }
  if (!fallback) throw badRequest('multipart body has no file part');
  return fallback;
}
