import { notFound, randomToken } from '@switchboard/core';
import { and, asc, eq, gt, sql } from 'drizzle-orm';
import type { Db } from '../database.js';
import { withDbErrors } from '../errors.js';
import { memberships, type Role, sessions, users, workspaces } from '../schema.js';
import { hashPassword, hashToken, verifyPassword } from '../secrets.js';

export type Workspace = typeof workspaces.$inferSelect;
export interface Member {
  userId: string;
  email: string;
  name: string | null;
  role: Role;
  createdAt: Date;
}

/** Workspaces, users, memberships and login sessions. */
export class AccountsRepo {
  private dummyHash: Promise<string> | undefined;

  constructor(private readonly db: Db) {}

  async createWorkspace(name: string): Promise<Workspace> {
    const [row] = await this.db.insert(workspaces).values({ name }).returning();
    return row!;
  }

  async getWorkspace(id: string): Promise<Workspace> {
    const [row] = await this.db.select().from(workspaces).where(eq(workspaces.id, id));
    if (!row) throw notFound('workspace', id);
    return row;
  }

  async renameWorkspace(id: string, name: string): Promise<Workspace> {
    const [row] = await this.db
      .update(workspaces)
      .set({ name, updatedAt: new Date() })
      .where(eq(workspaces.id, id))
      .returning();
    if (!row) throw notFound('workspace', id);
    return row;
  }

  async firstWorkspace(): Promise<Workspace | null> {
    const [row] = await this.db.select().from(workspaces).orderBy(asc(workspaces.createdAt)).limit(1);
    return row ?? null;
  }

  async countWorkspaces(): Promise<number> {
    const [r] = await this.db.select({ n: sql<number>`count(*)::int` }).from(workspaces);
    return r?.n ?? 0;
  }

  async listWorkspacesForUser(userId: string): Promise<(Workspace & { role: Role })[]> {
    const rows = await this.db
      .select({ w: workspaces, role: memberships.role })
      .from(memberships)
      .innerJoin(workspaces, eq(workspaces.id, memberships.workspaceId))
      .where(eq(memberships.userId, userId))
      .orderBy(asc(workspaces.createdAt));
    return rows.map((r) => ({ ...r.w, role: r.role }));
  }

  /** Adds a member, creating the user when the email is new. */
  async addMember(
    workspaceId: string,
    input: { email: string; password?: string | undefined; name?: string | undefined; role: Role },
  ): Promise<Member> {
    const passwordHash = input.password ? await hashPassword(input.password) : null;
    return withDbErrors(() =>
      this.db.transaction(async (tx) => {
        const email = input.email.trim().toLowerCase();
        let [user] = await tx.select().from(users).where(sql`lower(${users.email}) = ${email}`);
        if (!user) {
          [user] = await tx
            .insert(users)
            .values({ email, name: input.name ?? null, passwordHash })
            .returning();
        }
        const [m] = await tx
          .insert(memberships)
          .values({ workspaceId, userId: user!.id, role: input.role })
          .returning();
        return {
          userId: user!.id,
          email: user!.email,
          name: user!.name,
          role: m!.role,
          createdAt: m!.createdAt,
        };
      }),
    );
  }

  async listMembers(workspaceId: string): Promise<Member[]> {
    return this.db
      .select({
        userId: users.id,
        email: users.email,
        name: users.name,
        role: memberships.role,
        createdAt: memberships.createdAt,
      })
      .from(memberships)
      .innerJoin(users, eq(users.id, memberships.userId))
      .where(eq(memberships.workspaceId, workspaceId))
      .orderBy(asc(memberships.createdAt));
  }

  async getMember(workspaceId: string, userId: string): Promise<Member> {
    const [m] = await this.db
      .select({
        userId: users.id,
        email: users.email,
        name: users.name,
        role: memberships.role,
        createdAt: memberships.createdAt,
      })
      .from(memberships)
      .innerJoin(users, eq(users.id, memberships.userId))
      .where(and(eq(memberships.workspaceId, workspaceId), eq(memberships.userId, userId)));
    if (!m) throw notFound('user', userId);
    return m;
  }

  async setRole(workspaceId: string, userId: string, role: Role): Promise<Member> {
    const [row] = await this.db
      .update(memberships)
      .set({ role })
      .where(and(eq(memberships.workspaceId, workspaceId), eq(memberships.userId, userId)))
      .returning();
    if (!row) throw notFound('user', userId);
    return this.getMember(workspaceId, userId);
  }

  async removeMember(workspaceId: string, userId: string): Promise<void> {
    const rows = await this.db
      .delete(memberships)
      .where(and(eq(memberships.workspaceId, workspaceId), eq(memberships.userId, userId)))
      .returning();
    if (rows.length === 0) throw notFound('user', userId);
  }

  async countOwners(workspaceId: string): Promise<number> {
    const [r] = await this.db
      .select({ n: sql<number>`count(*)::int` })
      .from(memberships)
      .where(and(eq(memberships.workspaceId, workspaceId), eq(memberships.role, 'owner')));
    return r?.n ?? 0;
  }

  /** Checks a password; unknown emails cost the same work, so timing does not reveal them. */
  async verifyLogin(email: string, password: string): Promise<{ userId: string } | null> {
    const [user] = await this.db
      .select()
      .from(users)
      .where(sql`lower(${users.email}) = ${email.trim().toLowerCase()}`);
    this.dummyHash ??= hashPassword('switchboard-timing-equaliser');
    const stored = user?.passwordHash ?? (await this.dummyHash);
    const ok = await verifyPassword(password, stored);
    return ok && user?.passwordHash ? { userId: user.id } : null;
  }

  async setPassword(userId: string, password: string): Promise<void> {
    await this.db
      .update(users)
      .set({ passwordHash: await hashPassword(password), updatedAt: new Date() })
      .where(eq(users.id, userId));
  }

  async createSession(
    userId: string,
    workspaceId: string,
    ttlMs: number,
  ): Promise<{ token: string; expiresAt: Date }> {
    const token = randomToken(32);
    const expiresAt = new Date(Date.now() + ttlMs);
    await this.db.insert(sessions).values({ tokenHash: hashToken(token), userId, workspaceId, expiresAt });
    return { token, expiresAt };
  }

  async findSession(token: string): Promise<{ userId: string; workspaceId: string; role: Role } | null> {
    const [row] = await this.db
      .select({ userId: sessions.userId, workspaceId: sessions.workspaceId, role: memberships.role })
      .from(sessions)
      .innerJoin(
        memberships,
        and(eq(memberships.userId, sessions.userId), eq(memberships.workspaceId, sessions.workspaceId)),
      )
      .where(and(eq(sessions.tokenHash, hashToken(token)), gt(sessions.expiresAt, new Date())));
    return row ?? null;
  }

  async deleteSession(token: string): Promise<void> {
    await this.db.delete(sessions).where(eq(sessions.tokenHash, hashToken(token)));
  }
}
