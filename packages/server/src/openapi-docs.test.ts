import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { hashToken } from '@switchboard/store';
import { carrierCredentialChecker, FakeRestServer } from '@switchboard/telephony';
import { SETUP_TOKEN_KEY } from './routes/auth.js';
import { EXAMPLE_CREDENTIAL_ID, EXAMPLE_TWILIO } from './routes/credentials.js';
import { bearer, createTestApp, type TestApp } from './testing.js';

/**
 * The operations of every route file. Listed in an order in which their request examples build on
 * each other: the setup example creates the owner the login example logs in as, the phone number
 * examples register the numbers the caller-ID pool, campaign and outbound call examples call from,
 * the credential example is the one the provider examples use.
 */
const OPERATIONS = [
  'POST /v1/setup',
  'POST /v1/auth/login',
  'GET /v1/auth/me',
  'GET /v1/workspaces',
  'POST /v1/workspaces',
  'GET /v1/workspaces/{id}',
  'PATCH /v1/workspaces/{id}',
  'GET /v1/users',
  'POST /v1/users',
  'PATCH /v1/users/{userId}',
  'DELETE /v1/users/{userId}',
  'GET /v1/api-keys',
  'POST /v1/api-keys',
  'DELETE /v1/api-keys/{id}',
  'GET /v1/agents',
  'POST /v1/agents',
  'GET /v1/agents/{id}',
  'PATCH /v1/agents/{id}',
  'POST /v1/agents/{id}/publish',
  'POST /v1/agents/{id}/rollback',
  'GET /v1/agents/{id}/versions',
  'GET /v1/agents/{id}/versions/{version}',
  'POST /v1/agents/{id}/talk-token',
  'POST /v1/agents/{id}/test-chat',
  'DELETE /v1/agents/{id}',
  'GET /v1/phone-numbers',
  'POST /v1/phone-numbers',
  'GET /v1/phone-numbers/{id}',
  'PATCH /v1/phone-numbers/{id}',
  'GET /v1/caller-id-pools',
  'POST /v1/caller-id-pools',
  'GET /v1/caller-id-pools/{id}',
  'PATCH /v1/caller-id-pools/{id}',
  'DELETE /v1/caller-id-pools/{id}',
  'DELETE /v1/phone-numbers/{id}',
  'GET /v1/dialer-limits',
  'PUT /v1/dialer-limits',
  'DELETE /v1/knowledge-bases/{id}',
  'GET /v1/calls',
  'GET /v1/calls/{id}',
  'GET /v1/calls/{id}/events',
  'GET /v1/calls/{id}/latencies',
  'GET /v1/calls/{id}/analysis',
  'POST /v1/calls/{id}/analysis',
  'POST /v1/calls/external-updates',
  'GET /v1/calls/{id}/recording',
  'POST /v1/calls/{id}/erase',
  'GET /v1/retention',
  'PATCH /v1/retention',
  'POST /v1/retention/run',
  'POST /internal/agents/resolve',
  'POST /internal/devices/bulk_upsert',
  'POST /internal/entities/bulk_upsert',
  'POST /internal/services/bulk_upsert',
  'POST /internal/states/bulk_upsert',
  'PUT /v1/home-assistant',
  'GET /v1/home-assistant',
  'GET /v1/home-assistant/entities',
  'GET /v1/home-assistant/entities/{entityId}/history',
  'DELETE /v1/home-assistant',
  'GET /v1/credentials',
  'POST /v1/credentials',
  'GET /v1/credentials/{id}',
  'PATCH /v1/credentials/{id}',
  'POST /v1/credentials/{id}/test',
  'GET /v1/provider-types',
  'GET /v1/providers',
  'POST /v1/providers',
  'GET /v1/providers/{id}',
  'PATCH /v1/providers/{id}',
  'POST /v1/providers/{id}/test',
  // After the providers: a knowledge base's embeddings example names the created provider.
  'POST /v1/knowledge-bases',
  'GET /v1/knowledge-bases',
  'GET /v1/knowledge-bases/{id}',
  'PATCH /v1/knowledge-bases/{id}',
  'POST /v1/knowledge-bases/{id}/documents',
  'GET /v1/knowledge-bases/{id}/documents',
  'GET /v1/knowledge-bases/{id}/documents/{documentId}',
  'GET /v1/knowledge-bases/{id}/documents/{documentId}/chunks',
  'POST /v1/knowledge-bases/{id}/search',
  'DELETE /v1/knowledge-bases/{id}/documents/{documentId}',
  'DELETE /v1/providers/{id}',
  'DELETE /v1/credentials/{id}',
  'POST /v1/campaigns',
  'GET /v1/campaigns',
  'GET /v1/campaigns/{id}',
  'PATCH /v1/campaigns/{id}',
  'POST /v1/campaigns/{id}/contacts',
  'GET /v1/campaigns/{id}/contacts',
  'POST /v1/campaigns/{id}/pause',
  'POST /v1/campaigns/{id}/resume',
  'POST /v1/campaigns/{id}/cancel',
  'POST /v1/calls',
  'POST /v1/calls/{id}/cancel',
  'POST /v1/calls/{id}/hangup',
  'POST /v1/calls/{id}/say',
  'POST /v1/calls/{id}/inject',
  'POST /v1/calls/{id}/transfer',
  'POST /v1/calls/{id}/recording/pause',
  'POST /v1/calls/{id}/recording/resume',
  'GET /v1/calls/{id}/live',
  'GET /v1/webhooks',
  'POST /v1/webhooks',
  'GET /v1/webhooks/{id}',
  'PATCH /v1/webhooks/{id}',
  'POST /v1/webhooks/{id}/rotate-secret',
  'POST /v1/webhooks/default-secret',
  'GET /v1/webhooks/{id}/deliveries',
  'POST /v1/webhooks/{id}/replay',
  'GET /v1/deliveries',
  'POST /v1/deliveries/{id}/replay',
  'DELETE /v1/webhooks/{id}',
  'GET /health/live',
  'GET /health/ready',
  'POST /v1/auth/logout',
] as const;

/**
 * Ids the examples name for things an earlier example creates, by the collection that creates them:
 * an example that points at the example agent is posted with the agent the agent examples created.
 */
const EXAMPLE_IDS: Record<string, string> = {
  '0f8b7c3e-2d4a-4b6e-9c1d-5e7f8a9b0c1d': '/v1/agents',
  [EXAMPLE_CREDENTIAL_ID]: '/v1/credentials',
  '8e4f1a2b-3c5d-4e6f-9a7b-1c2d3e4f5a6b': '/v1/providers',
};

interface Operation {
  description?: string;
  requestBody?: { content?: Record<string, MediaType> };
}
interface MediaType {
  schema?: { examples?: unknown[] };
  example?: unknown;
  examples?: Record<string, { value: unknown }>;
}

/** Every request example of an operation, wherever the document generator put it. */
function requestExamples(media: MediaType): unknown[] {
  return [
    ...('example' in media ? [media.example] : []),
    ...Object.values(media.examples ?? {}).map((e) => e.value),
    ...(media.schema?.examples ?? []),
  ];
}

describe('API reference', () => {
  let t: TestApp;
  let carrier: FakeRestServer;
  let paths: Record<string, Record<string, Operation>>;
  before(async () => {
    // The carrier credential example is checked against Twilio: a local one that knows its account.
    carrier = await FakeRestServer.start();
    carrier.accounts = { twilio: { [EXAMPLE_TWILIO.accountSid]: { authToken: EXAMPLE_TWILIO.authToken } } };
    t = await createTestApp({
      validateCarrierCredential: carrierCredentialChecker({ apiUrls: { twilio: carrier.url } }),
    });
    paths = (t.app.swagger() as { paths: typeof paths }).paths;
  });
  after(async () => {
    await t.close();
    await carrier.close();
  });

  const operation = (op: string): Operation => {
    const [method, path] = op.split(' ') as [string, string];
    const found = paths[path]?.[method.toLowerCase()];
    assert.ok(found, `${op} is not in /openapi.json`);
    return found;
  };

  test('every operation has a description', () => {
    const missing = OPERATIONS.filter((op) => !operation(op).description?.trim());
    assert.deepEqual(missing, [], 'operations without a description');
  });

  test("every JSON request body has an example that passes the route's own validation", async () => {
    // What the setup and login examples need to succeed; any other example token would be a 401.
    const setup = requestExamples(operation('POST /v1/setup').requestBody!.content!['application/json']!);
    const token = (setup[0] as { token?: string } | undefined)?.token;
    if (token) await t.store.settings.set(SETUP_TOKEN_KEY, hashToken(token));

    /** Ids the examples' own responses hand out, by collection, for the path parameters that follow. */
    const ids: Record<string, string> = { '/v1/workspaces': t.workspaceId };
    let session = '';
    const withoutBody: string[] = [];

    for (const op of OPERATIONS) {
      const content = operation(op).requestBody?.content;
      if (!content) continue;
      const media = content['application/json'];
      if (!media) continue;
      const examples = requestExamples(media);
      if (examples.length === 0) {
        withoutBody.push(op);
        continue;
      }
      const [method, path] = op.split(' ') as [string, string];
      const collection = path.replace(/\/\{[^}]+\}.*$/, '');
      const url = path.replace(/\{[^}]+\}/g, () => ids[collection] ?? randomUUID());
      const headers: Record<string, string> = path.startsWith('/internal/')
        ? { 'x-internal-token': t.internalToken, 'x-workspace-id': t.workspaceId }
        : op === 'POST /v1/workspaces'
          ? { cookie: session, 'sec-fetch-site': 'same-origin' }
          : bearer(t.adminKey);

      for (const [i, example] of examples.entries()) {
        let payload = JSON.stringify(example);
        for (const [exampleId, from] of Object.entries(EXAMPLE_IDS)) {
          if (ids[from]) payload = payload.replaceAll(exampleId, ids[from]);
        }
        const res = await t.app.inject({
          method: method as 'POST',
          url,
          headers: { ...headers, 'content-type': 'application/json' },
          payload,
        });
        // Auth runs before validation, so 401/403 would mean the example was never checked.
        assert.ok(
          res.statusCode < 500 && ![400, 401, 403].includes(res.statusCode),
          `${op} example ${i + 1} was answered ${res.statusCode}: ${res.body}`,
        );
        if (res.statusCode >= 300) continue;
        const body = res.json() as { id?: string; userId?: string; campaign?: { id?: string } };
        if (op === 'POST /v1/auth/login') session = String(res.headers['set-cookie']).split(';')[0]!;
        if (path === collection && method === 'POST') {
          const id = body.userId ?? body.id ?? body.campaign?.id;
          if (id && !ids[collection]) ids[collection] = id;
        }
      }
    }
    assert.deepEqual(withoutBody, [], 'request bodies without an example');
    assert.ok(session, 'the login example logged in');
    for (const collection of ['/v1/agents', '/v1/caller-id-pools', '/v1/credentials', '/v1/campaigns']) {
      assert.ok(ids[collection], `the ${collection} create example succeeded`);
    }
  });

  // Last, so that a route added anywhere later is held to the same rule as the ones listed above.
  test('every operation in the document has a description', () => {
    const missing = Object.entries(paths).flatMap(([path, methods]) =>
      Object.entries(methods)
        .filter(([, op]) => !op.description?.trim())
        .map(([method]) => `${method.toUpperCase()} ${path}`),
    );
    assert.deepEqual(missing, [], 'operations without a description');
  });
});
