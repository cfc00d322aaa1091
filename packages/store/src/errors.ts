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
