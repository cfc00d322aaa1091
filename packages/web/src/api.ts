/** The REST API under /v1, as the dashboard uses it: session cookie, JSON, one error shape. */

export interface ErrorDetail {
  path: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
  }
}

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

type Query = Record<string, string | number | boolean | null | undefined>;

function qs(query: Query = {}): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(query))
    if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

/** Listeners told when the session is gone (a 401), so the app shows the login page. */
const unauthorized = new Set<() => void>();
export function onUnauthorized(fn: () => void): () => void {
  unauthorized.add(fn);
  return () => unauthorized.delete(fn);
}

export interface RequestOptions {
  query?: Query;
  /** A body sent as is (CSV uploads) instead of JSON. */
  raw?: string | Blob;
  contentType?: string;
  /** A 401 is expected (checking for a session): do not announce it. */
  quiet401?: boolean;
}

export async function api<T = unknown>(
  method: string,
  path: string,
  body?: unknown,
  opts: RequestOptions = {},
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  let payload: string | Blob | undefined;
  if (opts.raw !== undefined) {
    payload = opts.raw;
    headers['content-type'] = opts.contentType ?? 'text/plain';
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers['content-type'] = 'application/json';
  }
  const res = await fetch(`/v1${path}${qs(opts.query)}`, {
    method,
    headers,
    body: payload,
    credentials: 'same-origin',
  });
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (!res.ok) {
    const e = (parsed as { error?: { code?: string; message?: string; details?: ErrorDetail[] } } | null)
      ?.error;
    if (res.status === 401 && !opts.quiet401) for (const fn of unauthorized) fn();
    throw new ApiError(
      res.status,
      e?.code ?? 'http_error',
      e?.message ?? `${method} ${path} answered ${res.status}`,
      e?.details ?? [],
    );
  }
  return parsed as T;
}

export const get = <T>(path: string, query?: Query) => api<T>('GET', path, undefined, { query });
export const post = <T>(path: string, body?: unknown) => api<T>('POST', path, body ?? {});
export const patch = <T>(path: string, body: unknown) => api<T>('PATCH', path, body);
export const del = (path: string) => api<void>('DELETE', path);

export function errorText(e: unknown): string {
  if (e instanceof ApiError) {
    const extra = e.details
      .filter((d) => !e.message.includes(d.message))
      .map((d) => `${d.path}: ${d.message}`)
      .join('; ');
    return extra ? `${e.message} (${extra})` : e.message;
  }
  return e instanceof Error ? e.message : String(e);
}

export const ROLES = ['viewer', 'member', 'admin', 'owner'] as const;
export type Role = (typeof ROLES)[number];
export const roleAtLeast = (role: Role, min: Role) => ROLES.indexOf(role) >= ROLES.indexOf(min);
