import { AppError } from '@switchboard/core';
import { and, desc, eq, lt, or, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';

export interface Page<T> {
  data: T[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

export interface PageQuery {
  limit?: number | undefined;
  cursor?: string | undefined;
}

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 200;

interface Cursor {
  t: string;
  id: string;
}

function decodeCursor(cursor: string): Cursor {
  try {
    const c = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Cursor;
    if (typeof c.t === 'string' && typeof c.id === 'string' && !Number.isNaN(Date.parse(c.t))) return c;
  } catch {}
  throw new AppError('validation_failed', 'cursor is not valid', {
    details: [{ path: 'query.cursor', message: 'expected a cursor returned by a previous page' }],
  });
}

/** Keyset pagination, newest first, stable under concurrent inserts. */
export function keyset(
  createdAt: PgColumn,
  id: PgColumn,
  q: PageQuery,
): { where?: SQL; limit: number; order: SQL[] } {
  const limit = Math.min(Math.max(q.limit ?? DEFAULT_LIMIT, 1), MAX_LIMIT);
  const order = [desc(createdAt), desc(id)];
  if (!q.cursor) return { limit, order };
  const c = decodeCursor(q.cursor);
  const t = new Date(c.t);
  return { where: or(lt(createdAt, t), and(eq(createdAt, t), lt(id, c.id))), limit, order };
}

export function toPage<T extends { createdAt: Date; id: string }>(rows: T[], limit: number): Page<T> {
  const data = rows.slice(0, limit);
  const last = data[data.length - 1];
  const nextCursor =
    rows.length > limit && last
      ? Buffer.from(JSON.stringify({ t: last.createdAt.toISOString(), id: last.id })).toString('base64url')
      : null;
  return { data, nextCursor };
}
