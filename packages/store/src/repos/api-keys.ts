import { notFound } from '@switchboard/core';
import { and, eq, isNull } from 'drizzle-orm';
import type { Db } from '../database.js';
import { keyset, type PageQuery, toPage } from '../pagination.js';
import { type API_KEY_ROLES, apiKeys } from '../schema.js';
import { generateApiKey, hashToken } from '../secrets.js';

export type ApiKeyRole = (typeof API_KEY_ROLES)[number];
type Row = typeof apiKeys.$inferSelect;
/** What may leave the store: never the hash. */
export type ApiKey = Omit<Row, 'keyHash'>;

const publicColumns = {
  id: apiKeys.id,
  workspaceId: apiKeys.workspaceId,
  name: apiKeys.name,
  prefix: apiKeys.prefix,
  role: apiKeys.role,
  createdBy: apiKeys.createdBy,
  lastUsedAt: apiKeys.lastUsedAt,
  expiresAt: apiKeys.expiresAt,
  revokedAt: apiKeys.revokedAt,
  createdAt: apiKeys.createdAt,
};

/** Only touch last_used_at once a minute per key: authentication must not write on every request. */
const LAST_USED_RESOLUTION_MS = 60_000;

export class ApiKeysRepo {
  constructor(private readonly db: Db) {}

  /** Returns the key in clear exactly once; only its hash is stored. */
  async create(
    workspaceId: string,
    input: { name: string; role: ApiKeyRole; expiresAt?: Date | undefined; createdBy?: string | undefined },
  ): Promise<{ apiKey: ApiKey; key: string }> {
    const { key, prefix, hash } = generateApiKey();
    const [row] = await this.db
      .insert(apiKeys)
      .values({
        workspaceId,
        name: input.name,
        role: input.role,
        prefix,
        keyHash: hash,
        expiresAt: input.expiresAt ?? null,
        createdBy: input.createdBy ?? null,
      })
      .returning(publicColumns);
    return { apiKey: row!, key };
  }

  async list(workspaceId: string, q: PageQuery & { includeRevoked?: boolean | undefined }) {
    const k = keyset(apiKeys.createdAt, apiKeys.id, q);
    const rows = await this.db
      .select(publicColumns)
      .from(apiKeys)
      .where(
        and(
          eq(apiKeys.workspaceId, workspaceId),
          q.includeRevoked ? undefined : isNull(apiKeys.revokedAt),
          k.where,
        ),
      )
      .orderBy(...k.order)
      .limit(k.limit + 1);
    return toPage(rows, k.limit);
  }

  async get(workspaceId: string, id: string): Promise<ApiKey> {
    const [row] = await this.db
      .select(publicColumns)
      .from(apiKeys)
      .where(and(eq(apiKeys.workspaceId, workspaceId), eq(apiKeys.id, id)));
    if (!row) throw notFound('API key', id);
    return row;
  }

  async revoke(workspaceId: string, id: string): Promise<ApiKey> {
    const [row] = await this.db
      .update(apiKeys)
      .set({ revokedAt: new Date() })
      .where(and(eq(apiKeys.workspaceId, workspaceId), eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
      .returning(publicColumns);
    if (!row) throw notFound('API key', id);
    return row;
  }

  /** Resolves a presented key to its workspace and role, or null when unknown, revoked or expired. */
  async authenticate(key: string): Promise<{ id: string; workspaceId: string; role: ApiKeyRole } | null> {
    if (!key.startsWith('sb_') || key.length > 200) return null;
    const [row] = await this.db
      .select()
      .from(apiKeys)
      .where(eq(apiKeys.keyHash, hashToken(key)));
    if (!row || row.revokedAt) return null;
    const now = Date.now();
    if (row.expiresAt && row.expiresAt.getTime() <= now) return null;
    if (!row.lastUsedAt || now - row.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
      await this.db
        .update(apiKeys)
        .set({ lastUsedAt: new Date(now) })
        .where(eq(apiKeys.id, row.id));
    }
    return { id: row.id, workspaceId: row.workspaceId, role: row.role };
  }
}
