import { timingSafeEqual } from 'node:crypto';
import { AppError } from '@switchboard/core';
import { hashToken, ROLES } from '@switchboard/store';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../deps.js';
import { SESSION_COOKIE } from '../plugins/auth.js';
import { stdErrors } from '../schemas.js';

export const SETUP_TOKEN_KEY = 'setup_token_hash';

const meView = z.object({
  kind: z.enum(['api-key', 'session']),
  workspaceId: z.uuid(),
  role: z.enum(ROLES),
  userId: z.uuid().nullable(),
  email: z.string().nullable(),
});

export const authRoutes =
  ({ store, config }: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['auth'];
    const ttlMs = config.SESSION_TTL_HOURS * 3600_000;
    const cookieOptions = {
      path: '/',
      httpOnly: true,
      sameSite: 'lax' as const,
      secure: config.publicUrl.startsWith('https:'),
    };

    const startSession = async (
      userId: string,
      workspaceId: string,
      reply: import('fastify').FastifyReply,
    ) => {
      const s = await store.accounts.createSession(userId, workspaceId, ttlMs);
      reply.setCookie(SESSION_COOKIE, s.token, { ...cookieOptions, expires: s.expiresAt });
      return s;
    };

    app.post(
      '/auth/login',
      {
        config: {
          auth: 'public',
          rateLimit: { max: config.LOGIN_RATE_LIMIT_PER_MINUTE, timeWindow: 60_000 },
        },
        schema: {
          tags,
          summary: 'Log in with email and password (sets a session cookie)',
          description:
            'Public. Sets the `sb_session` cookie (HTTP-only, SameSite=Lax) for the dashboard, valid for ' +
            '`SESSION_TTL_HOURS` (a week by default); cookie-authenticated writes must come from a trusted ' +
            'origin, so scripts should use an API key instead. Acts in the workspace given, else the ' +
            'oldest workspace you belong to. A wrong email or password is a 401, a workspace you do not ' +
            'belong to a 403; attempts are rate limited per client (`LOGIN_RATE_LIMIT_PER_MINUTE`, 429 ' +
            'beyond it).',
          body: z
            .strictObject({
              email: z.email(),
              password: z.string().min(1).max(200),
              workspaceId: z
                .uuid()
                .optional()
                .describe('which workspace to act in; the first one by default'),
            })
            .meta({
              examples: [
                { email: 'maria.lopez@bayviewdental.com', password: 'correct horse battery staple' },
              ],
            }),
          response: {
            200: z.object({ workspaceId: z.uuid(), role: z.enum(ROLES), expiresAt: z.string() }).meta({
              examples: [
                {
                  workspaceId: '9c4f1a2b-3d5e-4f60-8a7b-1c2d3e4f5a6b',
                  role: 'owner',
                  expiresAt: '2026-03-09T09:02:11.402Z',
                },
              ],
            }),
            ...stdErrors,
          },
        },
      },
      async (req, reply) => {
        const ok = await store.accounts.verifyLogin(req.body.email, req.body.password);
        if (!ok) throw new AppError('unauthorized', 'email or password is wrong');
        const spaces = await store.accounts.listWorkspacesForUser(ok.userId);
        const target = req.body.workspaceId ? spaces.find((w) => w.id === req.body.workspaceId) : spaces[0];
        if (!target) throw new AppError('forbidden', 'you are not a member of that workspace');
        const s = await startSession(ok.userId, target.id, reply);
        return { workspaceId: target.id, role: target.role, expiresAt: s.expiresAt.toISOString() };
      },
    );

    app.post(
      '/auth/logout',
      {
        config: { auth: 'session', role: 'viewer' },
        schema: {
          tags,
          summary: 'End the session',
          description:
            'Deletes the session and clears its cookie; the cookie stops working at once. Needs a logged-in ' +
            'session (any role); an API key gets a 401, since keys are revoked under `/v1/api-keys` instead.',
          response: { 204: z.null(), ...stdErrors },
        },
      },
      async (req, reply) => {
        const token = req.cookies[SESSION_COOKIE];
        if (token) await store.accounts.deleteSession(token);
        reply.clearCookie(SESSION_COOKIE, cookieOptions);
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/auth/switch',
      {
        config: { auth: 'session', role: 'viewer' },
        schema: {
          tags,
          summary: 'Switch the session to another workspace you belong to',
          description:
            "For the dashboard's workspace switcher: ends the current session and starts one in the " +
            'workspace given, with your role there, without asking for the password again (the new cookie ' +
            'replaces the old one). Needs a logged-in session, any role; an API key gets a 401, since a key ' +
            'belongs to one workspace. A workspace you are not a member of is a 403.',
          body: z
            .strictObject({ workspaceId: z.uuid() })
            .meta({ examples: [{ workspaceId: '9c4f1a2b-3d5e-4f60-8a7b-1c2d3e4f5a6b' }] }),
          response: {
            200: z.object({ workspaceId: z.uuid(), role: z.enum(ROLES), expiresAt: z.string() }).meta({
              examples: [
                {
                  workspaceId: '9c4f1a2b-3d5e-4f60-8a7b-1c2d3e4f5a6b',
                  role: 'admin',
                  expiresAt: '2026-03-09T09:02:11.402Z',
                },
              ],
            }),
            ...stdErrors,
          },
        },
      },
      async (req, reply) => {
        const userId = req.auth!.userId!;
        const spaces = await store.accounts.listWorkspacesForUser(userId);
        const target = spaces.find((w) => w.id === req.body.workspaceId);
        if (!target) throw new AppError('forbidden', 'you are not a member of that workspace');
        const old = req.cookies[SESSION_COOKIE];
        const s = await startSession(userId, target.id, reply);
        if (old) await store.accounts.deleteSession(old);
        return { workspaceId: target.id, role: target.role, expiresAt: s.expiresAt.toISOString() };
      },
    );

    app.get(
      '/auth/me',
      {
        schema: {
          tags,
          summary: 'Who the credentials belong to',
          description:
            'The workspace and role the API key or session acts with, for any role; for a session also the ' +
            'user and email (null for an API key). A quick way to check a key works.',
          response: {
            200: meView.meta({
              examples: [
                {
                  kind: 'session',
                  workspaceId: '9c4f1a2b-3d5e-4f60-8a7b-1c2d3e4f5a6b',
                  role: 'owner',
                  userId: '6a1e2f3b-4c5d-4e7f-8a9b-0c1d2e3f4a5b',
                  email: 'maria.lopez@bayviewdental.com',
                },
              ],
            }),
            ...stdErrors,
          },
        },
      },
      async (req) => {
        const a = req.auth!;
        const me = a.userId ? await store.accounts.getMember(a.workspaceId, a.userId) : null;
        return {
          kind: a.kind === 'session' ? ('session' as const) : ('api-key' as const),
          workspaceId: a.workspaceId,
          role: a.role,
          userId: a.userId ?? null,
          email: me?.email ?? null,
        };
      },
    );

    app.get(
      '/setup',
      {
        config: { auth: 'public' },
        schema: {
          tags,
          summary: 'Whether the first owner still has to be created',
          description:
            'Public. `needed` is true until `POST /v1/setup` has used the one-time token printed at first ' +
            'start, so the dashboard knows to show its setup form instead of the login. Says nothing else.',
          response: {
            200: z.object({ needed: z.boolean() }).meta({ examples: [{ needed: true }] }),
            ...stdErrors,
          },
        },
      },
      async () => ({ needed: Boolean(await store.settings.get<string>(SETUP_TOKEN_KEY)) }),
    );

    app.post(
      '/setup',
      {
        config: {
          auth: 'public',
          rateLimit: { max: config.LOGIN_RATE_LIMIT_PER_MINUTE, timeWindow: 60_000 },
        },
        schema: {
          tags,
          summary: 'Create the first owner with the one-time setup token printed at first start',
          description:
            'Public, and works once: the token is deleted on success, so a second call (or a wrong token) is ' +
            'a 401. The new owner takes over the workspace created at first start (renamed to ' +
            '`workspaceName` when given) and is logged in with a session cookie. Passwords need 12 ' +
            'characters or more. Rate limited like login.',
          body: z
            .strictObject({
              token: z.string().min(10).max(200),
              email: z.email(),
              password: z.string().min(12).max(200),
              workspaceName: z.string().trim().min(1).max(100).optional(),
            })
            .meta({
              examples: [
                {
                  token: 'Zq3v8N1xR4mT7pLw2KcY9bHd5sUaG6fE',
                  email: 'maria.lopez@bayviewdental.com',
                  password: 'correct horse battery staple',
                  workspaceName: 'Bayview Dental',
                },
              ],
            }),
          response: { 201: z.object({ workspaceId: z.uuid(), userId: z.uuid() }), ...stdErrors },
        },
      },
      async (req, reply) => {
        const expected = await store.settings.get<string>(SETUP_TOKEN_KEY);
        const given = Buffer.from(hashToken(req.body.token));
        if (!expected || given.length !== expected.length || !timingSafeEqual(given, Buffer.from(expected))) {
          throw new AppError('unauthorized', 'setup token is invalid or was already used');
        }
        await store.settings.delete(SETUP_TOKEN_KEY);
        // The first start created the workspace (and its demo agent); the first owner takes it over.
        const first = await store.accounts.firstWorkspace();
        const workspaceId = first
          ? (req.body.workspaceName
              ? await store.accounts.renameWorkspace(first.id, req.body.workspaceName)
              : first
            ).id
          : (await store.accounts.createWorkspace(req.body.workspaceName ?? config.OWNER_WORKSPACE)).id;
        const m = await store.accounts.addMember(workspaceId, {
          email: req.body.email,
          password: req.body.password,
          role: 'owner',
        });
        await startSession(m.userId, workspaceId, reply);
        return reply.status(201).send({ workspaceId, userId: m.userId });
      },
    );
  };
