import { AppError, conflict } from '@switchboard/core';

/** Which field a unique or foreign-key constraint protects, so a 409 can name it. */
const CONSTRAINT_FIELDS: Record<string, { path: string; message: string }> = {
  users_email_uq: { path: 'email', message: 'a user with this email already exists' },
  memberships_pkey: { path: 'email', message: 'this user is already a member of the workspace' },
  credentials_name_uq: { path: 'name', message: 'a credential with this name already exists' },
  providers_name_uq: { path: 'name', message: 'a provider with this name already exists' },
  agents_name_uq: { path: 'name', message: 'an agent with this name already exists' },
  agents_default_inbound_uq: {
    path: 'defaultInbound',
    message: 'another agent is already the default inbound agent',
  },
  agents_default_outbound_uq: {
    path: 'defaultOutbound',
    message: 'another agent is already the default outbound agent',
  },
  agent_versions_pkey: { path: 'version', message: 'this version was published concurrently; retry' },
  phone_numbers_uq: { path: 'number', message: 'this number is already registered for this connector' },
  calls_custom_id_uq: { path: 'customCallId', message: 'a call with this custom_call_id already exists' },
  providers_credential_id_credentials_id_fk: {
    path: 'credentialId',
    message: 'the credential is used by a provider',
  },
};

interface PgErrorLike {
  code?: string;
  constraint?: string;
  message?: string;
  cause?: unknown;
}

function pgError(e: unknown): PgErrorLike | undefined {
  let cur: unknown = e;
  for (let i = 0; i < 4 && cur && typeof cur === 'object'; i++) {
    const c = cur as PgErrorLike;
    if (typeof c.code === 'string' && /^[0-9A-Z]{5}$/.test(c.code)) return c;
    cur = c.cause;
  }
  return undefined;
}

/** Turns database constraint failures into typed 409/400 errors naming the field; rethrows the rest. */
export function mapDbError(e: unknown): never {
  const pe = pgError(e);
  if (pe?.code === '23505' || pe?.code === '23503' || pe?.code === '23001') {
    const constraint = pe.constraint ?? /constraint "([^"]+)"/.exec(pe.message ?? '')?.[1] ?? '';
    const known = CONSTRAINT_FIELDS[constraint];
    if (known) throw conflict(known.message, [{ path: known.path, message: known.message }]);
    throw conflict(pe.code === '23505' ? 'already exists' : 'referenced by another record');
  }
  if (pe?.code === '22P02' || pe?.code === '22007') {
    throw new AppError('bad_request', 'a value has the wrong format for its column');
  }
  throw e;
}

export async function withDbErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    return mapDbError(e);
  }
}

/** Errno codes of a connection that could not be made or was lost. */
const CONNECTION_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/** What node-postgres says when a connection drops or cannot be had from the pool in time. */
const CONNECTION_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended unexpectedly|Client was closed and is not queryable/;

/**
 * True when the error means the database cannot be reached right now (refused, dropped, shutting
 * down, out of connections) rather than that the request was wrong: the API answers 503 with
 * Retry-After instead of 500, and nothing was written.
 */
export function isDatabaseUnavailable(e: unknown): boolean {
  const seen = new Set<unknown>();
  const queue: unknown[] = [e];
  while (queue.length > 0 && seen.size < 16) {
    const cur = queue.shift();
    if (!cur || typeof cur !== 'object' || seen.has(cur)) continue;
    seen.add(cur);
    const c = cur as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
    if (typeof c.code === 'string') {
      if (CONNECTION_ERRNOS.has(c.code)) return true;
      // SQLSTATE class 08 (connection exception), 57P01-03 (shutting down), 53300 (too many clients).
      if (/^08[0-9A-Z]{3}$/.test(c.code) || /^57P0[123]$/.test(c.code) || c.code === '53300') return true;
    }
    if (typeof c.message === 'string' && CONNECTION_MESSAGES.test(c.message)) return true;
    queue.push(c.cause);
    if (Array.isArray(c.errors)) queue.push(...c.errors);
  }
  return false;
}
