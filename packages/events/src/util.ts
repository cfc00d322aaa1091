/**
 * Error fields safe to log. Database errors quote the failed query with its parameters, which
 * may hold transcripts or phone numbers; only the class, code and driver message are kept.
 */
export function errorFields(err: unknown): { err: { name: string; code?: string; message: string } } {
  if (!(err instanceof Error)) return { err: { name: 'Error', message: String(err).slice(0, 300) } };
  const cause = err.cause instanceof Error ? (err.cause as Error & { code?: string }) : undefined;
  const code = (err as Error & { code?: unknown }).code ?? cause?.code;
  const message = cause && err.message.startsWith('Failed query') ? cause.message : err.message;
  return {
    err: { name: err.name, ...(typeof code === 'string' ? { code } : {}), message: message.slice(0, 300) },
  };
}

/** Short text for a delivery's last error, never a receiver's full response body. */
export const truncate = (s: string, n = 300): string => (s.length > n ? `${s.slice(0, n)}…` : s);

/**
 * Rows of a raw `db.execute()`: both drivers (node-postgres and PGlite) return `{ rows }`, but the
 * shared database type cannot say so.
 */
export function rowsOf<T>(result: unknown): T[] {
  return (result as { rows: T[] }).rows;
}
