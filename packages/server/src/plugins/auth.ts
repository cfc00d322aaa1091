import { timingSafeEqual } from 'node:crypto';
import type { Role, Store } from '@switchboard/store';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { send } from './errors.js';

/**
 * Who is calling. Every workspace-scoped query takes `workspaceId` from here, never from the
 * request, so one workspace's credentials cannot name another's records.
 */
export interface AuthContext {
  kind: 'api-key' | 'session' | 'internal';
  workspaceId: string;
  role: Role;
  userId?: string;
  apiKeyId?: string;
}

/**
 * `user`: an API key or a dashboard session; `session`: a logged-in person only;
 * `internal`: workers and the metrics scraper, with the internal token; `internal-or-key`: the
 * internal token naming a workspace (`X-Workspace-Id`), or a workspace API key (add-ons that push
 * data in); `public`: anyone.
 */
export type AuthMode = 'user' | 'session' | 'internal' | 'internal-or-key' | 'public';

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: AuthMode;
    /** The lowest role allowed; defaults to viewer for reads and member for writes. */
    role?: Role;
  }
  interface FastifyRequest {
    auth: AuthContext | null;
  }
}

export const SESSION_COOKIE = 'sb_session';
const RANK: Record<Role, number> = { viewer: 0, member: 1, admin: 2, owner: 3 };
export const roleAtLeast = (role: Role, min: Role) => RANK[role] >= RANK[min];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export interface AuthOptions {
  store: Store;
  internalToken: string;
  /** Origins allowed to send cookie-authenticated writes (the public URL and CORS origins). */
  trustedOrigins: string[];
}

export function registerAuth(app: FastifyInstance, opts: AuthOptions): void {
  const internal = Buffer.from(opts.internalToken);
  const isInternalToken = (t: string) => {
    const b = Buffer.from(t);
    return b.length === internal.length && timingSafeEqual(b, internal);
  };

  app.decorateRequest('auth', null);

  app.addHook('onRequest', async (req, reply) => {
    const mode: AuthMode = req.routeOptions.config.auth ?? 'user';
    if (mode === 'public' || !req.routeOptions.url) return;
    const bearer = bearerToken(req);

    if (mode === 'internal-or-key') {
      const token = (req.headers['x-internal-token'] as string | undefined) ?? bearer;
      if (token && isInternalToken(token)) {
        const named = req.headers['x-workspace-id'];
        const workspaceId = typeof named === 'string' ? named.trim() : '';
        if (!UUID.test(workspaceId)) {
          return send(
            reply,
            400,
            'bad_request',
            'with the internal token, name the workspace in the X-Workspace-Id header',
            [
              {
                path: 'headers.x-workspace-id',
                message: workspaceId ? 'expected a workspace id (a UUID)' : 'required',
              },
            ],
          );
        }
        const exists = await opts.store.accounts.getWorkspace(workspaceId).then(
          () => true,
          () => false,
        );
        if (!exists) return send(reply, 404, 'not_found', `workspace ${workspaceId} not found`);
        req.auth = { kind: 'internal', workspaceId, role: 'owner' };
        return;
      }
      if (!bearer) {
        return send(
          reply,
          401,
          'unauthorized',
          'send the internal token (X-Internal-Token) or a workspace API key as "Authorization: Bearer <key>"',
        );
      }
    }

    if (mode === 'internal') {
      const token = (req.headers['x-internal-token'] as string | undefined) ?? bearer;
      if (!token || !isInternalToken(token)) {
        return send(reply, 401, 'unauthorized', 'this endpoint needs the internal token');
      }
      req.auth = { kind: 'internal', workspaceId: '', role: 'owner' };
      return;
    }

    if (bearer && (mode === 'user' || mode === 'internal-or-key')) {
      const key = await opts.store.apiKeys.authenticate(bearer);
      if (!key) return send(reply, 401, 'unauthorized', 'API key is invalid, revoked or expired');
      req.auth = { kind: 'api-key', workspaceId: key.workspaceId, role: key.role, apiKeyId: key.id };
    } else {
      const cookie = req.cookies[SESSION_COOKIE];
      const session = cookie ? await opts.store.accounts.findSession(cookie) : null;
      if (!session) {
        return send(
          reply,
          401,
          'unauthorized',
          mode === 'session' ? 'log in first' : 'send an API key as "Authorization: Bearer <key>" or log in',
        );
      }
      // Cookies ride along on cross-site requests; writes must come from a trusted page.
      if (UNSAFE.has(req.method)) {
        const refused = crossSiteWrite(req, opts.trustedOrigins);
        if (refused) return send(reply, 403, 'forbidden', refused);
      }
      req.auth = {
        kind: 'session',
        workspaceId: session.workspaceId,
        role: session.role,
        userId: session.userId,
      };
    }

    const min = req.routeOptions.config.role ?? (UNSAFE.has(req.method) ? 'member' : 'viewer');
    if (!roleAtLeast(req.auth.role, min)) {
      return send(reply, 403, 'forbidden', `this needs the ${min} role or higher; you are ${req.auth.role}`);
    }
  });
}

/**
 * Why a cookie-authenticated write must be refused as cross-site, or undefined when it comes from
 * a trusted page. `Origin` decides when present; browsers that leave it out still send
 * `Sec-Fetch-Site` or `Referer`. A write with none of the three is refused: every browser sends
 * one of them, and scripts should use an API key rather than a session cookie.
 */
function crossSiteWrite(req: FastifyRequest, trusted: string[]): string | undefined {
  const origin = req.headers.origin;
  if (origin) return trusted.includes(origin) ? undefined : `requests from origin ${origin} are not allowed`;
  const site = req.headers['sec-fetch-site'];
  if (typeof site === 'string') {
    return site === 'same-origin' || site === 'none'
      ? undefined
      : `cross-site requests (Sec-Fetch-Site: ${site}) are not allowed`;
  }
  const referer = req.headers.referer;
  if (referer) {
    let from: string | undefined;
    try {
      from = new URL(referer).origin;
    } catch {
      from = undefined;
    }
    return from && trusted.includes(from) ? undefined : 'requests from that page are not allowed';
  }
  return 'a cookie-authenticated write needs an Origin header; scripts should send an API key instead';
}

function bearerToken(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (!h) return undefined;
  const m = /^Bearer\s+(\S+)$/i.exec(h);
  return m?.[1];
}

/** The authenticated workspace; routes behind `user`/`session` auth always have one. */
export function ws(req: FastifyRequest): string {
  if (!req.auth?.workspaceId) throw new Error('route used without workspace authentication');
  return req.auth.workspaceId;
}
