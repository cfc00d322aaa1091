import { CHECKED_CARRIERS, carrierOfCredentialName, parseHostRule } from '@switchboard/core';
import type { FastifyBaseLogger, FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../deps.js';
import { ws } from '../plugins/auth.js';
import { send } from '../plugins/errors.js';
import { errorResponse, idParams, json, PAGED, page, pageQuery, stdErrors, timestamp } from '../schemas.js';
import {
  CARRIER_NAMES,
  type CheckRefusal,
  checkResponses,
  gateCarrierCredential,
  validateQuery,
} from './carrier-check.js';

/** The credential the examples name; the API reference test stands a created one in for it. */
export const EXAMPLE_CREDENTIAL_ID = '3c9d2e7a-1b4f-4a8e-9d6c-7e5f4a3b2c1d';
/** The Twilio account the examples name; the API reference test's carrier fake knows it. */
export const EXAMPLE_TWILIO = {
  accountSid: 'AC3f9a2b7c1d4e5f60718293a4b5c6d7e8',
  authToken: '9f8e7d6c5b4a39281706f5e4d3c2b1a0',
};

const credentialView = z
  .object({
    id: z.uuid(),
    name: z.string(),
    masked: z.string().describe('the last characters of the secret, e.g. ••••abcd'),
    allowedHosts: z
      .array(z.string())
      .describe(
        "hosts this secret may be sent to besides the vendor's own (the provider type's, e.g. api.openai.com)",
      ),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({
    id: 'Credential',
    examples: [
      {
        id: EXAMPLE_CREDENTIAL_ID,
        name: 'openai-production',
        masked: '••••x9Qa',
        allowedHosts: ['llm-proxy.bayviewdental.com'],
        createdAt: '2026-02-11T16:45:02.118Z',
        updatedAt: '2026-02-11T16:45:02.118Z',
      },
    ],
  });

const secret = z.string().min(1).max(20_000).describe('the secret; write-only, never returned');

const hostRule = z
  .string()
  .trim()
  .min(1)
  .max(260)
  .superRefine((v, ctx) => {
    const r = parseHostRule(v);
    if (typeof r === 'string') ctx.addIssue({ code: 'custom', message: `"${v}" ${r}` });
  });

const allowedHosts = z
  .array(hostRule)
  .max(50)
  .describe(
    "Hosts this secret may be sent to besides the vendor's own, for a proxy, Azure or a self-hosted server: " +
      '`host`, `host:port`, `*.domain` (sub-domains only), an IP address or a CIDR range. Providers that use ' +
      'the credential may point only at the vendor hosts of their type and these. Admins only; replaces the list.',
  );
const view = <T extends { workspaceId: string }>({ workspaceId: _w, ...rest }: T) => json(rest);

const carrierTestResult = z
  .object({
    ok: z.boolean(),
    carrier: z.enum(CHECKED_CARRIERS),
    failure: z
      .enum(['malformed', 'rejected', 'unreachable'])
      .nullable()
      .describe('null when ok; `unreachable`: the carrier did not answer, nothing is known about the secret'),
    check: z
      .string()
      .nullable()
      .describe(
        'the check that failed: name, secret, auth, account, connection, apiKey, publicKey, connectionId, connect',
      ),
    message: z.string(),
    httpStatus: z
      .number()
      .int()
      .nullable()
      .describe("the carrier's HTTP status behind a failure; null when ok or when it did not answer"),
  })
  .meta({
    id: 'CarrierCredentialTestResult',
    examples: [
      {
        ok: true,
        carrier: 'twilio',
        failure: null,
        check: null,
        message: 'twilio: account AC3f9a2b7c1d4e5f60718293a4b5c6d7e8 accepted the auth token',
        httpStatus: null,
      },
      {
        ok: false,
        carrier: 'telnyx',
        failure: 'rejected',
        check: 'connection',
        message: 'telnyx: connection 1494404757140276705 not found (HTTP 404)',
        httpStatus: 404,
      },
    ],
  });

const CHECKED =
  'Credentials named like a carrier account (' +
  CARRIER_NAMES +
  ') are checked before they are stored: the name and secret must have the carrier’s form (an Account SID is ' +
  '`AC` and 32 hexadecimal digits; the Telnyx secret is JSON `{"apiKey","publicKey","connectionId"}` with ' +
  '`publicKey` the base64 of a 32-byte Ed25519 key), then one authenticated read against the carrier’s REST ' +
  'API at TWILIO_API_URL / PLIVO_API_URL / TELNYX_API_URL (Twilio `GET /2010-04-01/Accounts/{Sid}.json`, ' +
  'Plivo `GET /v1/Account/{AuthId}/`, Telnyx `GET /v2/call_control_applications/{connectionId}` with the API ' +
  'key) must succeed. A failed check is a 422 whose message names it with the carrier’s HTTP status ' +
  '(`twilio: account AC… rejected the auth token (HTTP 401)`, `telnyx: connection 123 not found (HTTP 404)`); ' +
  'a carrier that does not answer is a 502 naming its host. Either way nothing is stored or changed. ' +
  '`?validate=false` skips the call to the carrier (the form is still checked), for servers without internet ' +
  'access. ';

export const credentialRoutes =
  ({ store, validateCarrierCredential }: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['credentials'];
    const admin = { role: 'admin' as const };
    const gate = (log: FastifyBaseLogger, name: string, secret: string, validate: boolean) =>
      gateCarrierCredential({ validateCarrierCredential }, log, name, secret, validate);
    const answer = (reply: FastifyReply, r: CheckRefusal) =>
      send(reply, r.status, r.error.code, r.error.message, r.error.details);

    app.get(
      '/credentials',
      {
        schema: {
          tags,
          summary: 'List credentials (masked)',
          description:
            "The workspace's credentials for any role, each with its name, the last characters of the secret " +
            '(`masked`) and `allowedHosts`; the secret itself is never returned. Webhook signing secrets are ' +
            'credentials too and are listed here (`webhook-signing-secret:…`). ' +
            PAGED,
          querystring: z.strictObject(pageQuery),
          response: { 200: page(credentialView), ...stdErrors },
        },
      },
      async (req) => {
        const r = await store.credentials.list(ws(req), req.query);
        return { data: r.data.map(view), nextCursor: r.nextCursor };
      },
    );

    app.post(
      '/credentials',
      {
        config: admin,
        schema: {
          tags,
          summary: 'Store a credential (encrypted at rest)',
          description:
            'Admins only. The secret is encrypted before it is stored and never returned: responses show it ' +
            'masked (`••••` and its last characters). It is sent only to the vendor hosts of the provider type ' +
            'it is used with (e.g. api.openai.com for OpenAI types) and to `allowedHosts`; members who attach it ' +
            'to a provider cannot point it anywhere else. A name already used in the workspace is a 409; a host ' +
            'rule that does not parse is a 400 naming it. ' +
            CHECKED,
          querystring: validateQuery,
          body: z
            .strictObject({
              name: z.string().trim().min(1).max(100),
              value: secret,
              allowedHosts: allowedHosts.optional(),
            })
            .meta({
              examples: [
                { name: 'openai-production', value: 'sk-proj-4fJ8kQ2mN7pR1sT6vW9yB3cD5eG0hL2x9Qa' },
                {
                  name: 'openai-via-proxy',
                  value: 'sk-proj-7hT3nV8bC1xZ5qW2eR6yU9iO4pA0sD3fG7Lm',
                  allowedHosts: ['llm-proxy.bayviewdental.com', '*.openai.azure.com'],
                },
                { name: `twilio:${EXAMPLE_TWILIO.accountSid}`, value: EXAMPLE_TWILIO.authToken },
              ],
            }),
          response: { 201: credentialView, ...checkResponses, ...stdErrors },
        },
      },
      async (req, reply) => {
        const refused = await gate(req.log, req.body.name, req.body.value, req.query.validate ?? true);
        if (refused) return answer(reply, refused);
        return reply.status(201).send(view(await store.credentials.create(ws(req), req.body)));
      },
    );

    app.get(
      '/credentials/:id',
      {
        schema: {
          tags,
          summary: 'Get a credential (masked)',
          description:
            'One credential, masked, for any role; 404 when no credential of this workspace has the id.',
          params: idParams,
          response: { 200: credentialView, ...stdErrors },
        },
      },
      async (req) => view(await store.credentials.get(ws(req), req.params.id)),
    );

    app.patch(
      '/credentials/:id',
      {
        config: admin,
        schema: {
          tags,
          summary: 'Rename, rotate or change where a credential may be sent',
          description:
            'Admins only; changes only the fields given. A new `value` replaces the secret (encrypted, shown ' +
            'masked) and is used from the next connection. `allowedHosts` replaces the list; providers already ' +
            'pointing at a host taken off it stop connecting (their test answers `not_allowed`). 404 for an ' +
            'unknown credential, 409 for a name already used in the workspace. A new `value`, or a new name, of a ' +
            'carrier account is checked as on creation (with the stored secret when only the name changes); when ' +
            'the check fails the stored credential stays as it was. ' +
            CHECKED,
          params: idParams,
          querystring: validateQuery,
          body: z
            .strictObject({
              name: z.string().trim().min(1).max(100).optional(),
              value: secret.optional(),
              allowedHosts: allowedHosts.optional(),
            })
            .meta({
              examples: [
                { value: 'sk-proj-9kL2mP5nQ8rS1tU4vW7xY0zA3bC6dE9fR2Tw' },
                { allowedHosts: ['llm-proxy.bayviewdental.com', '10.20.0.0/16'] },
              ],
            }),
          response: { 200: credentialView, ...checkResponses, ...stdErrors },
        },
      },
      async (req, reply) => {
        const { name, value } = req.body;
        if (value !== undefined || name !== undefined) {
          const stored = await store.credentials.revealForUse(ws(req), req.params.id);
          if (value !== undefined || (name !== undefined && name !== stored.name)) {
            const refused = await gate(
              req.log,
              name ?? stored.name,
              value ?? stored.secret,
              req.query.validate ?? true,
            );
            if (refused) return answer(reply, refused);
          }
        }
        return view(await store.credentials.update(ws(req), req.params.id, req.body));
      },
    );

    app.post(
      '/credentials/:id/test',
      {
        config: admin,
        schema: {
          tags,
          summary: 'Check a stored carrier credential against the carrier',
          description:
            'Admins only, like saving it (the stored secret is sent to the carrier; it is never returned). ' +
            'Runs the checks a carrier account (' +
            CARRIER_NAMES +
            ') gets when it is saved, with the stored name and secret. A failed check is still a 200: `failure` ' +
            'says whether the carrier refused the credential (`rejected`), its form is wrong (`malformed`) or the ' +
            'carrier did not answer (`unreachable`), `check` which check failed, `httpStatus` what the carrier ' +
            'answered. Other credentials have no carrier check: 422 (test the provider that uses them with ' +
            '`POST /v1/providers/{id}/test`). 404 for an unknown credential; 501 when this server runs without ' +
            'carrier checks.',
          params: idParams,
          response: {
            200: carrierTestResult,
            422: errorResponse.describe('not a carrier credential: it has no carrier check'),
            501: checkResponses[501],
            ...stdErrors,
          },
        },
      },
      async (req, reply) => {
        const stored = await store.credentials.revealForUse(ws(req), req.params.id);
        const carrier = carrierOfCredentialName(stored.name);
        if (!carrier) {
          return send(
            reply,
            422,
            'validation_failed',
            `credential "${stored.name}" is not a carrier account (${CARRIER_NAMES.replaceAll('`', '')}): it has no ` +
              'carrier check; test the provider that uses it instead',
          );
        }
        if (!validateCarrierCredential) {
          return send(reply, 501, 'unavailable', 'carrier credential checks are not enabled on this server');
        }
        const r = await validateCarrierCredential({ name: stored.name, secret: stored.secret, remote: true });
        if (!r) throw new Error('a carrier credential had no carrier check');
        return r.ok
          ? { ok: true, carrier: r.carrier, failure: null, check: null, message: r.message, httpStatus: null }
          : {
              ok: false,
              carrier: r.carrier,
              failure: r.failure,
              check: r.check,
              message: r.message,
              httpStatus: r.httpStatus,
            };
      },
    );

    app.delete(
      '/credentials/:id',
      {
        config: admin,
        schema: {
          tags,
          summary: 'Delete a credential',
          description:
            'Admins only. Removes the secret for good. A credential still attached to a provider is a 409 ' +
            '(detach it from the provider or delete the provider first), and so is the signing secret of a ' +
            'webhook (deleting the webhook deletes it). 404 for an unknown credential.',
          params: idParams,
          response: { 204: z.null(), ...stdErrors },
        },
      },
      async (req, reply) => {
        await store.credentials.delete(ws(req), req.params.id);
        return reply.status(204).send(null);
      },
    );
  };
