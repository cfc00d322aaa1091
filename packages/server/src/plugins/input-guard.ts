import type { ErrorDetail } from '@switchboard/core';
import type { FastifyInstance } from 'fastify';
import { send } from './errors.js';

/** Deeper than any document this API takes (agent configs with tool schemas nest about ten). */
export const MAX_INPUT_DEPTH = 64;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why a text cannot be stored (PostgreSQL text and jsonb refuse both), or undefined. */
function badText(s: string): string | undefined {
  const nul = s.indexOf('\u0000');
  if (nul >= 0) return `contains a NUL character (\\u0000)${where(s, nul)}, which cannot be stored`;
  const m = LONE_SURROGATE.exec(s);
  if (m) return `contains an unpaired UTF-16 surrogate${where(s, m.index)}: not valid Unicode`;
  return undefined;
}

/** "at line 4" for multi-line text (CSV bodies), nothing for one-line values. */
function where(s: string, index: number): string {
  if (!s.includes('\n')) return '';
  let line = 1;
  for (let i = s.indexOf('\n'); i >= 0 && i < index; i = s.indexOf('\n', i + 1)) line++;
  return ` at line ${line}`;
}

const join = (path: string, key: string | number) =>
  typeof key === 'number' || /^[A-Za-z_$][\w$]*$/.test(key)
    ? `${path}.${key}`
    : `${path}[${JSON.stringify(key)}]`;

/**
 * The first value in a parsed request part that no column can hold: text with NUL or unpaired
 * surrogates (in values or field names), or nesting deeper than MAX_INPUT_DEPTH. Iterative, so a
 * hostile megabyte of `[[[[…` cannot exhaust the stack.
 */
export function findUnstorableInput(value: unknown, root: string): ErrorDetail | undefined {
  const stack: [unknown, string, number][] = [[value, root, 0]];
  while (stack.length > 0) {
    const [v, path, depth] = stack.pop() as [unknown, string, number];
    if (typeof v === 'string') {
      const why = badText(v);
      if (why) return { path, message: why };
      continue;
    }
    // Uploaded files are bytes, read by their own parser; only text is checked here.
    if (v === null || typeof v !== 'object' || Buffer.isBuffer(v)) continue;
    if (depth >= MAX_INPUT_DEPTH) return { path, message: `nested more than ${MAX_INPUT_DEPTH} levels deep` };
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], join(path, i), depth + 1]);
      continue;
    }
    for (const [k, child] of Object.entries(v)) {
      const why = badText(k);
      if (why) return { path: join(path, k), message: `field name ${why}` };
      stack.push([child, join(path, k), depth + 1]);
    }
  }
  return undefined;
}

/**
 * Refuses, before validation and before any handler, request text the database cannot store.
 * Without it such input reached PostgreSQL and failed there as a 500 on every route that stores
 * text; here it is one 400 naming the field, for every route at once.
 */
export function registerInputGuard(app: FastifyInstance): void {
  app.addHook('preValidation', async (req, reply) => {
    // CSV uploads are checked cell by cell by the import, which can name the row and column.
    const csv = typeof req.body === 'string' && /^text\/csv\b/i.test(req.headers['content-type'] ?? '');
    const parts: [unknown, string][] = [
      [req.params, 'params'],
      [req.query, 'query'],
      [csv ? undefined : req.body, 'body'],
    ];
    for (const [value, root] of parts) {
      const bad = findUnstorableInput(value, root);
      if (bad) return send(reply, 400, 'validation_failed', `invalid ${root}: ${bad.path}`, [bad]);
    }
  });
}
