import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { OutboundGuard, silentLogger } from '@switchboard/core';
import { minimalDocx, minimalPdf } from '@switchboard/knowledge/testing';
import { createProviderFactory } from '@switchboard/providers';
import { bearer, createTestApp, type TestApp } from '../testing.js';

const HANDBOOK = `# Bayview Dental

## Opening hours
We are open Monday to Friday from 8 am to 6 pm. On Saturdays we open from 9 am to noon.

## Parking
Patients park for free in the garage behind the building. Bicycles go in the rack by the door.

## Aftercare
After a filling, wait two hours before eating. Avoid very hot drinks until the numbness wears off.
`;

function multipart(fileName: string, type: string, data: Buffer) {
  const boundary = 'sbkb0123456789';
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${fileName}"\r\nContent-Type: ${type}\r\n\r\n`,
  );
  return {
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
    payload: Buffer.concat([head, data, Buffer.from(`\r\n--${boundary}--\r\n`)]),
  };
}

describe('knowledge bases over HTTP', () => {
  let t: TestApp;
  let member: string;
  let viewer: string;
  let kb: string;
  const inject = (key: string, method: string, url: string, extra: Record<string, unknown> = {}) =>
    t.app.inject({
      method: method as 'GET',
      url,
      ...extra,
      headers: { ...bearer(key), ...((extra.headers as Record<string, string>) ?? {}) },
    });

  before(async () => {
    // The real local answerer (not a scripted stand-in) answers the test chats.
    let app: TestApp | undefined;
    const providers = createProviderFactory({
      outbound: new OutboundGuard({ allowPrivateNetworks: true, allowedHosts: [] }),
      logger: silentLogger(),
      resolveProvider: async () => null,
      getAgentConfig: async (_agentId, ctx) => app?.runner.configFor(ctx.callId),
    });
    t = await createTestApp({ providers, env: { KB_MAX_UPLOAD_BYTES: '200000' } });
    app = t;
    member = (await t.store.apiKeys.create(t.workspaceId, { name: 'm', role: 'member' })).key;
    viewer = (await t.store.apiKeys.create(t.workspaceId, { name: 'v', role: 'viewer' })).key;
    const res = await inject(t.adminKey, 'POST', '/v1/knowledge-bases', { payload: { name: 'Handbook' } });
    assert.equal(res.statusCode, 201, res.body);
    kb = res.json().id;
  });
  after(() => t.close());

  test('roles: members read and search, only admins create, upload and delete, viewers get nothing', async () => {
    const url = `/v1/knowledge-bases/${kb}`;
    assert.equal((await inject(viewer, 'GET', '/v1/knowledge-bases')).statusCode, 403);
    assert.equal(
      (await inject(viewer, 'POST', `${url}/search`, { payload: { query: 'x' } })).statusCode,
      403,
    );
    assert.equal((await inject(member, 'GET', '/v1/knowledge-bases')).statusCode, 200);
    assert.equal((await inject(member, 'GET', url)).statusCode, 200);
    assert.equal(
      (await inject(member, 'POST', `${url}/search`, { payload: { query: 'x' } })).statusCode,
      200,
    );
    assert.equal(
      (await inject(member, 'POST', '/v1/knowledge-bases', { payload: { name: 'n' } })).statusCode,
      403,
    );
    assert.equal((await inject(member, 'PATCH', url, { payload: { name: 'n' } })).statusCode, 403);
    assert.equal((await inject(member, 'DELETE', url)).statusCode, 403);
    const upload = await inject(member, 'POST', `${url}/documents?name=a.txt`, {
      headers: { 'content-type': 'text/plain' },
      payload: 'hello',
    });
    assert.equal(upload.statusCode, 403);
  });

  test('upload Markdown as the raw body, then search finds the passage with its source and headings', async () => {
    const res = await inject(t.adminKey, 'POST', `/v1/knowledge-bases/${kb}/documents?name=handbook.md`, {
      headers: { 'content-type': 'text/markdown' },
      payload: HANDBOOK,
    });
    assert.equal(res.statusCode, 201, res.body);
    const doc = res.json();
    assert.equal(doc.status, 'ready');
    assert.equal(doc.sourceType, 'md');
    assert.equal(doc.chunkCount, 3);
    const chunks = (
      await inject(member, 'GET', `/v1/knowledge-bases/${kb}/documents/${doc.id}/chunks`)
    ).json();
    assert.deepEqual(
      chunks.data.map((c: { headingPath: string[] }) => c.headingPath.join(' > ')),
      ['Bayview Dental > Opening hours', 'Bayview Dental > Parking', 'Bayview Dental > Aftercare'],
    );
    const found = await inject(member, 'POST', `/v1/knowledge-bases/${kb}/search`, {
      payload: { query: 'Where do I park my bike?', limit: 3 },
    });
    assert.equal(found.statusCode, 200);
    const [hit] = found.json().data;
    assert.equal(hit.source, 'handbook.md');
    assert.deepEqual(hit.headingPath, ['Bayview Dental', 'Parking']);
    assert.match(hit.text, /rack by the door/);
    const got = (await inject(member, 'GET', `/v1/knowledge-bases/${kb}`)).json();
    assert.equal(got.documents.ready >= 1, true);
  });

  test('PDF, Word and HTML uploads as multipart files', async () => {
    const files = [
      [
        'refunds.pdf',
        'application/pdf',
        minimalPdf(['Refunds', 'Refunds reach your card within fourteen days.']),
      ],
      [
        'insurance.docx',
        'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
        minimalDocx(['# Insurance', 'We bill Delta Dental and Aetna directly.']),
      ],
      [
        'x-rays.html',
        'text/html',
        Buffer.from('<h1>X-rays</h1><p>Digital x-rays use very little radiation.</p>'),
      ],
    ] as const;
    for (const [name, type, data] of files) {
      const res = await inject(
        t.adminKey,
        'POST',
        `/v1/knowledge-bases/${kb}/documents`,
        multipart(name, type, data),
      );
      assert.equal(res.statusCode, 201, `${name}: ${res.body}`);
      assert.equal(res.json().status, 'ready', `${name}: ${res.body}`);
      assert.equal(res.json().sourceName, name);
    }
    for (const [query, want] of [
      ['how long do refunds take', 'refunds.pdf'],
      ['do you bill aetna', 'insurance.docx'],
      ['radiation of x-rays', 'x-rays.html'],
    ]) {
      const res = await inject(member, 'POST', `/v1/knowledge-bases/${kb}/search`, { payload: { query } });
      assert.equal(res.json().data[0]?.source, want, query);
    }
  });

  test('bad uploads: 400 naming the problem, 413 when too large, a failed document for an unreadable file', async () => {
    const url = `/v1/knowledge-bases/${kb}/documents`;
    const empty = await inject(t.adminKey, 'POST', `${url}?name=a.txt`, {
      headers: { 'content-type': 'text/plain' },
      payload: '',
    });
    assert.equal(empty.statusCode, 400);
    const unknown = await inject(t.adminKey, 'POST', `${url}?name=deck.pptx`, {
      headers: { 'content-type': 'application/octet-stream' },
      payload: Buffer.from('PK'),
    });
    assert.equal(unknown.statusCode, 400);
    assert.match(unknown.json().error.message, /deck\.pptx.*supported: \.txt, \.md, \.html, \.pdf, \.docx/);
    const asJson = await inject(t.adminKey, 'POST', url, { payload: { text: 'hi' } });
    assert.equal(asJson.statusCode, 400);
    assert.match(asJson.json().error.message, /not JSON/);
    const big = await inject(t.adminKey, 'POST', `${url}?name=big.txt`, {
      headers: { 'content-type': 'text/plain' },
      payload: 'x'.repeat(200_001),
    });
    assert.equal(big.statusCode, 413);
    assert.equal(big.json().error.message, 'request body is too large: the limit is 200000 bytes');
    const broken = await inject(
      t.adminKey,
      'POST',
      url,
      multipart('scan.pdf', 'application/pdf', Buffer.from('%PDF-1.4 garbage')),
    );
    assert.equal(broken.statusCode, 201);
    assert.equal(broken.json().status, 'failed');
    assert.match(broken.json().error, /not a readable PDF/);
    const fake = await inject(
      t.adminKey,
      'POST',
      url,
      multipart('notes.docx', 'application/octet-stream', Buffer.from('plain text')),
    );
    assert.equal(fake.json().status, 'failed');
    assert.match(fake.json().error, /not a Word \(\.docx\) file/);
    const missing = await inject(
      t.adminKey,
      'POST',
      `/v1/knowledge-bases/${'0'.repeat(8)}-0000-4000-8000-000000000000/documents?name=a.txt`,
      {
        headers: { 'content-type': 'text/plain' },
        payload: 'hello',
      },
    );
    assert.equal(missing.statusCode, 404);
  });

  test('agents list knowledge bases by id (validated) and the local answerer answers from them', async () => {
    const unknownId = '00000000-0000-4000-8000-000000000001';
    const bad = await inject(t.adminKey, 'POST', '/v1/agents', {
      payload: { name: 'Front desk', config: { knowledge: { knowledgeBaseIds: [unknownId] } } },
    });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().error.details[0].path, 'body.config.knowledge.knowledgeBaseIds.0');
    const created = await inject(t.adminKey, 'POST', '/v1/agents', {
      payload: {
        name: 'Front desk',
        publish: true,
        config: {
          tools: [{ type: 'end_call' }],
          knowledge: {
            knowledgeBaseIds: [kb],
            faq: [{ question: 'What is your phone number?', answer: 'Call 555 0100.' }],
          },
        },
      },
    });
    assert.equal(created.statusCode, 201, created.body);
    const agent = created.json().id;
    const ask = async (message: string, sessionId?: string) =>
      (
        await inject(member, 'POST', `/v1/agents/${agent}/test-chat`, {
          payload: { message, ...(sessionId ? { sessionId } : {}) },
        })
      ).json();
    const first = await ask('How long should I wait to eat after a filling?');
    assert.equal(first.reply, 'After a filling, wait two hours before eating.');
    const second = await ask('What is your phone number?', first.sessionId);
    assert.equal(second.reply, 'Call 555 0100.', 'the FAQ still comes first');
    const third = await ask('Do you sell surfboards?', first.sessionId);
    assert.match(third.reply, /Sorry, I don't know that/);
  });
});
