import { AppError, notFound } from '@switchboard/core';
import { ROLES } from '@switchboard/store';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../deps.js';
import { roleAtLeast, ws } from '../plugins/auth.js';
import { json, stdErrors, timestamp } from '../schemas.js';

const EXAMPLE_WORKSPACE_ID = '9c4f1a2b-3d5e-4f60-8a7b-1c2d3e4f5a6b';
const workspaceName = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .meta({ examples: ['Bayview Dental'] });

const workspaceView = z
  .object({
    id: z.uuid(),
    name: z.string(),
    role: z.enum(ROLES).optional(),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({
    id: 'Workspace',
    examples: [
      {
        id: EXAMPLE_WORKSPACE_ID,
        name: 'Bayview Dental',
        role: 'owner',
        createdAt: '2026-02-11T16:38:02.771Z',
        updatedAt: '2026-02-11T16:38:02.771Z',
      },
    ],
  });
const memberView = z
  .object({
    userId: z.uuid(),
    email: z.string(),
    name: z.string().nullable(),
    role: z.enum(ROLES),
    createdAt: timestamp,
  })
  .meta({
    id: 'User',
    examples: [
      {
        userId: '2f7e9a1c-5b3d-4c8e-9f0a-6d1b2c3e4f5a',
        email: 'sam.chen@bayviewdental.com',
        name: 'Sam Chen',
        role: 'member',
        createdAt: '2026-03-02T09:31:15.004Z',
      },
    ],
  });
const userParams = z.strictObject({ userId: z.uuid() });

export const workspaceRoutes =
  ({ store }: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['workspaces'];

    app.get(
      '/workspaces',
      {
        schema: {
          tags,
          summary: 'Workspaces you can use',
          description:
            'With an API key: its own workspace. With a session: every workspace you belong to, oldest ' +
            'first, each with your role there. Any role.',
          response: { 200: z.object({ data: z.array(workspaceView) }), ...stdErrors },
        },
      },
      async (req) => {
        if (req.auth?.kind === 'session' && req.auth.userId) {
          return { data: json(await store.accounts.listWorkspacesForUser(req.auth.userId)) };
        }
        return { data: [json({ ...(await store.accounts.getWorkspace(ws(req))), role: req.auth!.role })] };
      },
    );

    app.post(
      '/workspaces',
      {
        config: { auth: 'session' },
        schema: {
          tags,
          summary: 'Create a workspace (you become its owner)',
          description:
            'Needs a logged-in session (API keys belong to one workspace and get a 401) with the member ' +
            'role or higher in the current workspace. The new workspace starts empty; log in again with ' +
            'its `workspaceId` to act in it.',
          body: z
            .strictObject({ name: workspaceName })
            .meta({ examples: [{ name: 'Bayview Dental – Oakland' }] }),
          response: { 201: workspaceView, ...stdErrors },
        },
      },
      async (req, reply) => {
        const w = await store.accounts.createWorkspace(req.body.name);
        const me = await store.accounts.getMember(ws(req), req.auth!.userId!);
        await store.accounts.addMember(w.id, { email: me.email, role: 'owner' });
        return reply.status(201).send(json({ ...w, role: 'owner' as const }));
      },
    );

    app.get(
      '/workspaces/:id',
      {
        schema: {
          tags,
          summary: 'Get a workspace',
          description:
            'The workspace the credentials act in, with your role; any role. Any other id is a 404, even ' +
            'one you belong to through another session.',
          params: z.strictObject({ id: z.uuid() }),
          response: { 200: workspaceView, ...stdErrors },
        },
      },
      async (req) => {
        if (req.params.id !== ws(req)) throw notFound('workspace', req.params.id);
        return json({ ...(await store.accounts.getWorkspace(req.params.id)), role: req.auth!.role });
      },
    );

    app.patch(
      '/workspaces/:id',
      {
        config: { role: 'admin' },
        schema: {
          tags,
          summary: 'Rename a workspace',
          description:
            'Renames the workspace the credentials act in; needs the admin role. Any other id is a 404.',
          params: z.strictObject({ id: z.uuid() }),
          body: z
            .strictObject({ name: workspaceName })
            .meta({ examples: [{ name: 'Bayview Dental Group' }] }),
          response: { 200: workspaceView, ...stdErrors },
        },
      },
      async (req) => {
        if (req.params.id !== ws(req)) throw notFound('workspace', req.params.id);
        return json({
          ...(await store.accounts.renameWorkspace(req.params.id, req.body.name)),
          role: req.auth!.role,
        });
      },
    );

    const users = ['users'];
    app.get(
      '/users',
      {
        schema: {
          tags: users,
          summary: 'Members of the workspace',
          description: 'Every member with email, name and role, for any role. Not paginated.',
          response: { 200: z.object({ data: z.array(memberView) }), ...stdErrors },
        },
      },
      async (req) => ({ data: json(await store.accounts.listMembers(ws(req))) }),
    );

    app.post(
      '/users',
      {
        config: { role: 'admin' },
        schema: {
          tags: users,
          summary: 'Add a member',
          description:
            'Needs the admin role; only an owner can add another owner (403). Creates the user if the email ' +
            'is new, with the password given (12 characters or more; without one the user cannot log in, as ' +
            'no endpoint sets a password later). For an existing user `name` and `password` are ignored and their ' +
            'account is left as it is. Someone already a member is a 409.',
          body: z
            .strictObject({
              email: z.email(),
              name: z.string().max(200).optional(),
              password: z.string().min(12).max(200).optional(),
              role: z.enum(ROLES),
            })
            .meta({
              examples: [
                {
                  email: 'sam.chen@bayviewdental.com',
                  name: 'Sam Chen',
                  password: 'tulip-harbor-92-lantern',
                  role: 'member',
                },
              ],
            }),
          response: { 201: memberView, ...stdErrors },
        },
      },
      async (req, reply) => {
        if (req.body.role === 'owner' && !roleAtLeast(req.auth!.role, 'owner')) {
          throw new AppError('forbidden', 'only an owner can add an owner');
        }
        return reply.status(201).send(json(await store.accounts.addMember(ws(req), req.body)));
      },
    );

    app.patch(
      '/users/:userId',
      {
        config: { role: 'admin' },
        schema: {
          tags: users,
          summary: "Change a member's role",
          description:
            'Needs the admin role; granting or taking away the owner role needs an owner (403). Demoting ' +
            'the last owner is a 409, so a workspace always keeps one. 404 for someone not a member.',
          params: userParams,
          body: z.strictObject({ role: z.enum(ROLES) }).meta({ examples: [{ role: 'admin' }] }),
          response: { 200: memberView, ...stdErrors },
        },
      },
      async (req) => {
        const target = await store.accounts.getMember(ws(req), req.params.userId);
        if ((target.role === 'owner' || req.body.role === 'owner') && !roleAtLeast(req.auth!.role, 'owner')) {
          throw new AppError('forbidden', 'only an owner can grant or take away the owner role');
        }
        if (
          target.role === 'owner' &&
          req.body.role !== 'owner' &&
          (await store.accounts.countOwners(ws(req))) <= 1
        ) {
          throw new AppError('conflict', 'a workspace needs at least one owner');
        }
        return json(await store.accounts.setRole(ws(req), req.params.userId, req.body.role));
      },
    );

    app.delete(
      '/users/:userId',
      {
        config: { role: 'admin' },
        schema: {
          tags: users,
          summary: 'Remove a member',
          description:
            "Takes the user's membership of this workspace away (the account itself stays); sessions " +
            'they hold for it stop working at once. Needs the admin role; removing an owner needs an owner ' +
            '(403), and the last owner cannot be removed (409). 404 for someone not a member.',
          params: userParams,
          response: { 204: z.null(), ...stdErrors },
        },
      },
      async (req, reply) => {
        const target = await store.accounts.getMember(ws(req), req.params.userId);
        if (target.role === 'owner') {
          if (!roleAtLeast(req.auth!.role, 'owner'))
            throw new AppError('forbidden', 'only an owner can remove an owner');
          if ((await store.accounts.countOwners(ws(req))) <= 1)
            throw new AppError('conflict', 'a workspace needs at least one owner');
        }
        await store.accounts.removeMember(ws(req), req.params.userId);
        return reply.status(204).send(null);
      },
    );
  };
