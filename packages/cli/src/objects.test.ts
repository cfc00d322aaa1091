import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { fakeEmbeddingsServer } from '@switchboard/providers';
import { objectsCommand, progressBar } from './objects.js';
import { startTestPlatform, type TestPlatform } from './platform-testkit.js';

function sink() {
  let text = '';
  const stream = new Writable({
    write(chunk, _enc, done) {
      text += String(chunk);
      done();
    },
  });
  return { stream, text: () => text };
}

// The everyday objects through the CLI, against the started platform's API, as a user runs them.
describe('switchboard <objects> <verb>', () => {
  let t: TestPlatform;
  let key: string;
  before(async () => {
    t = await startTestPlatform();
    key = (await t.platform.store.apiKeys.create(t.workspaceId, { name: 'cli', role: 'admin' })).key;
  });
  after(() => t?.close());

  const run = async (name: string, ...args: string[]) => {
    const out = sink();
    const err = sink();
    const code = await objectsCommand(
      name,
      [...args, '--url', t.appUrl, '--key', key],
      out.stream,
      err.stream,
    );
    return { code, out: out.text(), err: err.text() };
  };

  test('create, list as a table, get, publish and delete an agent', async () => {
    const created = await run(
      'agents',
      'create',
      '--data',
      JSON.stringify({ name: 'From the CLI', config: { greeting: 'Hi.' } }),
    );
    assert.equal(created.code, 0, created.err);
    const id = JSON.parse(created.out).id as string;
    const list = await run('agents', 'list');
    assert.equal(list.code, 0);
    assert.match(list.out, /^id\s+name\s+currentVersion\s+defaultInbound\n/);
    assert.match(list.out, new RegExp(`${id}\\s+From the CLI`));
    assert.match(list.out, /Demo receptionist/);
    const published = await run('agents', 'publish', id);
    assert.equal(published.code, 0, published.err);
    assert.equal(JSON.parse((await run('agents', 'get', id)).out).currentVersion, 1);
    assert.equal((await run('agents', 'delete', id)).code, 0);
    assert.equal((await run('agents', 'get', id)).code, 1);
  });

  test("the API's validation errors are shown with the field they name", async () => {
    const bad = await run(
      'numbers',
      'create',
      '--data',
      JSON.stringify({ number: '+1555', connector: 'sip' }),
    );
    assert.equal(bad.code, 1);
    assert.match(bad.err, /^error 400: /);
    assert.match(bad.err, /\n {2}body\.number: /);
  });

  test('usage errors: a missing id, an unknown verb, no body', async () => {
    assert.equal((await run('calls', 'get')).code, 64);
    assert.match((await run('calls', 'frobnicate')).err, /unknown calls command: frobnicate/);
    assert.match((await run('keys', 'create')).err, /needs --data/);
    const help = sink();
    assert.equal(await objectsCommand('calls', ['--help'], help.stream), 0);
    assert.match(help.text(), /switchboard calls list/);
  });

  test('knowledge bases: create, upload a file, list its documents and search it', async () => {
    const created = await run('kb', 'create', '--data', JSON.stringify({ name: 'Clinic' }));
    assert.equal(created.code, 0, created.err);
    const id = JSON.parse(created.out).id as string;
    const dir = mkdtempSync(join(tmpdir(), 'sb-kb-cli-'));
    const file = join(dir, 'aftercare.md');
    writeFileSync(file, '# Aftercare\nAfter a filling, wait two hours before eating.\n');
    const uploaded = await run('kb', 'upload', id, file);
    rmSync(dir, { recursive: true, force: true });
    assert.equal(uploaded.code, 0, uploaded.err);
    assert.equal(JSON.parse(uploaded.out).status, 'ready');
    const docs = await run('kb', 'documents', id);
    assert.match(docs.out, /aftercare\.md\s+ready\s+1/);
    const found = await run('kb', 'search', id, 'when', 'can', 'I', 'eat');
    assert.equal(found.code, 0, found.err);
    assert.match(found.out, /^score\s+source\s+text\n/);
    assert.match(found.out, /aftercare\.md\s+After a filling/);
    const usage = await run('kb', 'upload', id);
    assert.equal(usage.code, 64);
    assert.match(usage.err, /switchboard kb upload <id> <file>/);

    // A web page (on loopback, which this platform's outbound rules open) and the page it links to.
    const site = createServer((req, res) => {
      if (req.url === '/')
        res.writeHead(200, { 'content-type': 'text/html' }).end('<a href="/hours">Hours</a>');
      else if (req.url === '/hours')
        res.writeHead(200, { 'content-type': 'text/html' }).end('<p>We open at eight on weekdays.</p>');
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
      const crawled = await run('kb', 'crawl', id, `${url}/`);
      assert.equal(crawled.code, 0, crawled.err);
      assert.match(crawled.out, /^url\s+status\s+documentId\s+reason\n/);
      assert.match(crawled.out, new RegExp(`${url}/hours\\s+indexed`));
      assert.match((await run('kb', 'search', id, 'when', 'do', 'you', 'open')).out, /open at eight/);
    } finally {
      await new Promise<void>((r) => site.close(() => r()));
    }
  });

  test("knowledge bases: embeddings from an OpenAI-compatible endpoint, followed with a progress bar; search and an agent's knowledge_search find a paraphrase", async () => {
    const fake = await fakeEmbeddingsServer({
      dims: 64,
      synonyms: { vehicle: 'car', garage: 'car', cost: 'free' },
    });
    try {
      const provider = await run(
        'providers',
        'create',
        '--data',
        JSON.stringify({
          name: 'Embeddings server',
          kind: 'llm',
          type: 'openai-compatible',
          settings: { baseUrl: fake.baseUrl, model: 'chat' },
        }),
      );
      assert.equal(provider.code, 0, provider.err);
      const providerId = JSON.parse(provider.out).id as string;
      const id = JSON.parse((await run('kb', 'create', '--data', JSON.stringify({ name: 'Garage' }))).out)
        .id as string;
      const dir = mkdtempSync(join(tmpdir(), 'sb-kb-cli-'));
      const file = join(dir, 'parking.md');
      writeFileSync(
        file,
        '# Parking\nPatients park for free in the garage behind the building.\n\n# Hours\nWe open at nine.\n',
      );
      assert.equal((await run('kb', 'upload', id, file)).code, 0);
      rmSync(dir, { recursive: true, force: true });
      const question = ['somewhere', 'to', 'put', 'my', 'vehicle', 'at', 'no', 'cost'];
      assert.doesNotMatch(
        (await run('kb', 'search', id, ...question)).out,
        /garage/,
        'full-text alone misses it',
      );

      const set = await run('kb', 'embeddings', id, providerId, 'concepts');
      assert.equal(set.code, 0, set.err);
      assert.equal(JSON.parse(set.out).embeddings.model, 'concepts');
      const progress = await run('kb', 'progress', id);
      assert.equal(progress.code, 0, progress.err);
      assert.match(progress.out, /\[#{30}\] (\d+)\/\1 passages embedded by concepts\n$/);
      assert.ok(fake.inputs() > 0, 'the passages went to the endpoint');

      const found = await run('kb', 'search', id, ...question, '--json');
      assert.equal(found.code, 0, found.err);
      const answer = JSON.parse(found.out);
      assert.equal(answer.mode, 'hybrid');
      assert.match(answer.data[0].text, /garage behind the building/);
      assert.equal(answer.data[0].source, 'parking.md');

      // An agent's knowledge_search tool, called by an OpenAI-compatible model, finds it too.
      const toolResults: string[] = [];
      const chat = createServer((req, res) => {
        let body = '';
        req.on('data', (c: Buffer) => {
          body += String(c);
        });
        req.on('end', () => {
          const messages = (JSON.parse(body) as { messages: { role: string; content: string }[] }).messages;
          const tool = messages.find((m) => m.role === 'tool');
          const delta = tool
            ? { content: 'Found it.' }
            : {
                tool_calls: [
                  {
                    index: 0,
                    id: 'call_1',
                    type: 'function',
                    function: {
                      name: 'knowledge_search',
                      arguments: JSON.stringify({ query: question.join(' ') }),
                    },
                  },
                ],
              };
          if (tool) toolResults.push(tool.content);
          const chunk = (d: unknown, finish: string | null) =>
            `data: ${JSON.stringify({ choices: [{ index: 0, delta: d, finish_reason: finish }] })}\n\n`;
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          res.end(chunk(delta, null) + chunk({}, tool ? 'stop' : 'tool_calls') + 'data: [DONE]\n\n');
        });
      });
      await new Promise<void>((r) => chat.listen(0, '127.0.0.1', r));
      try {
        const chatUrl = `http://127.0.0.1:${(chat.address() as AddressInfo).port}/v1`;
        const llm = await run(
          'providers',
          'create',
          '--data',
          JSON.stringify({
            name: 'Chat model',
            kind: 'llm',
            type: 'openai-compatible',
            settings: { baseUrl: chatUrl, model: 'chat' },
          }),
        );
        assert.equal(llm.code, 0, llm.err);
        const agent = await run(
          'agents',
          'create',
          '--data',
          JSON.stringify({
            name: 'Garage desk',
            publish: true,
            config: {
              providers: {
                asr: ['local:soundswallower'],
                llm: [JSON.parse(llm.out).id],
                tts: ['local:espeak'],
              },
              knowledge: { knowledgeBaseIds: [id], retrieval: { enabled: false }, searchTool: true },
            },
          }),
        );
        assert.equal(agent.code, 0, agent.err);
        const chatRes = await fetch(`${t.appUrl}/v1/agents/${JSON.parse(agent.out).id}/test-chat`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ message: 'Where can I leave my car?' }),
        });
        const reply = (await chatRes.json()) as { reply: string };
        assert.equal(chatRes.status, 200, JSON.stringify(reply));
        assert.equal(reply.reply, 'Found it.');
        assert.equal(toolResults.length, 1);
        assert.match(toolResults[0] ?? '', /garage behind the building/);
        assert.match(toolResults[0] ?? '', /parking\.md/);
      } finally {
        await new Promise((r) => chat.close(r));
      }

      // The knowledge base and /health/ready say which vector search this database runs.
      const kind = JSON.parse((await run('kb', 'get', id)).out).vectorSearch as string;
      const ready = (await (await fetch(`${t.appUrl}/health/ready`)).json()) as {
        checks?: { name: string; detail?: string }[];
      };
      const reported = ready.checks?.find((c) => c.name === 'knowledge vector search');
      assert.match(reported?.detail ?? '', kind === 'pgvector' ? /^pgvector/ : /^exact scan/);

      const off = await run('kb', 'embeddings', id, 'off');
      assert.equal(JSON.parse(off.out).embeddings, null);
      const none = await run('kb', 'progress', id);
      assert.equal(none.code, 1);
      assert.match(none.err, /no embeddings model/);
      assert.equal((await run('kb', 'embeddings', id, providerId)).code, 64);
    } finally {
      await fake.close();
    }
  });
});

test('the progress bar fills with the share embedded', () => {
  assert.equal(progressBar({ embedded: 0, total: 4, model: 'm' }, 4), '[....] 0/4 passages embedded by m');
  assert.equal(progressBar({ embedded: 2, total: 4, model: 'm' }, 4), '[##..] 2/4 passages embedded by m');
  assert.equal(progressBar({ embedded: 0, total: 0, model: 'm' }, 4), '[####] 0/0 passages embedded by m');
});
