import { AppError, type ErrorDetail } from '@switchboard/core';
import { isDatabaseUnavailable } from '@switchboard/store';
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';

/**
 * One error shape for every failure: `{ error: { code, message, details[] } }`. Internal messages
 * never leave on 5xx; they go to the log with the request id.
 */
export function send(
  reply: FastifyReply,
  status: number,
  code: string,
  message: string,
  details: ErrorDetail[] = [],
) {
  return reply.status(status).send({ error: { code, message, details } });
}

const FASTIFY_CODES: Record<string, { status: number; code: string; message: string }> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    code: 'unsupported_media_type',
    message: 'unsupported Content-Type; send application/json',
  },
  FST_ERR_CTP_BODY_TOO_LARGE: {
    status: 413,
    code: 'payload_too_large',
    message: 'request body is too large',
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    status: 400,
    code: 'bad_request',
    message: 'body is empty but Content-Type is application/json',
  },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'bad_request', message: 'body is not valid JSON' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    status: 400,
    code: 'bad_request',
    message: 'Content-Length is wrong',
  },
};

/** What a client is told to wait during a database outage; pools reconnect within seconds. */
const DB_RETRY_AFTER_SECONDS = 5;

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (hasZodFastifySchemaValidationErrors(err)) {
      const where = err.validationContext ?? 'body';
      const details: ErrorDetail[] = err.validation.flatMap((v) => {
        const base = [where, ...v.instancePath.split('/').filter(Boolean)].join('.');
        const keys = (v.params as { keys?: string[] }).keys;
        if (v.keyword === 'unrecognized_keys' && keys) {
          return keys.map((k) => ({ path: `${base}.${k}`, message: 'unknown field' }));
        }
        return [{ path: base, message: v.message ?? 'invalid' }];
      });
      return send(
        reply,
        400,
        'validation_failed',
        `invalid ${where}: ${details.map((d) => d.path).join(', ')}`,
        details,
      );
    }
    if (err instanceof AppError) {
      if (err.status >= 500) req.log.error({ err }, 'request failed');
      return send(
        reply,
        err.status,
        err.code,
        err.status >= 500 ? 'internal error' : err.message,
        err.details,
      );
    }
    if (err instanceof SyntaxError || err.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
      return send(reply, 400, 'bad_request', 'body is not valid JSON');
    }
    const known = err.code ? FASTIFY_CODES[err.code] : undefined;
    if (known?.status === 413 && req.routeOptions.bodyLimit) {
      // Routes have different limits (a document upload takes far more than JSON); name this one's.
      return send(
        reply,
        413,
        known.code,
        `${known.message}: the limit is ${req.routeOptions.bodyLimit} bytes`,
      );
    }
    if (known) return send(reply, known.status, known.code, known.message);
    if (err.statusCode === 429) return send(reply, 429, 'rate_limited', err.message);
    if (isResponseSerializationError(err)) {
      req.log.error(
        { err: { message: err.message, issues: err.cause.issues } },
        'response did not match its schema',
      );
      return send(reply, 500, 'internal', 'internal error');
    }
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      return send(reply, err.statusCode, 'bad_request', err.message);
    }
    if (isDatabaseUnavailable(err)) {
      req.log.warn({ err }, 'database unavailable');
      reply.header('retry-after', String(DB_RETRY_AFTER_SECONDS));
      return send(reply, 503, 'unavailable', 'the database is unavailable; retry shortly');
    }
    req.log.error({ err }, 'request failed');
    return send(reply, 500, 'internal', 'internal error');
  });

  app.setNotFoundHandler((req, reply) =>
    send(reply, 404, 'not_found', `no route for ${req.method} ${req.url.split('?')[0]}`),
  );
}
