import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type AnalysisConfig,
  agentConfigSchema,
  silentLogger,
  type TranscriptEntry,
} from '@switchboard/core';
import { FakeLlm } from '../fakes/fake-llm.js';
import { FakeProviderFactory } from '../fakes/fake-provider-factory.js';
import { ProviderError } from '../providers/provider-error.js';
import { ANALYSIS_TOOL, analysisTool, analyzeCall, analyzeTranscript } from './analyze-call.js';

const spec: AnalysisConfig = {
  summary: true,
  fields: [
    { name: 'wants_callback', type: 'boolean', description: 'The caller asked to be called back.' },
    { name: 'party_size', type: 'number', description: 'How many people the booking is for.' },
    {
      name: 'sentiment',
      type: 'string',
      description: 'How the caller felt.',
      enum: ['positive', 'negative'],
    },
  ],
  instructions: 'A booking counts only when a date was agreed.',
};
const transcript: TranscriptEntry[] = [
  { role: 'agent', text: 'Hello, how can I help?', startMs: 0 },
  { role: 'caller', text: 'A table for four tomorrow, and call me back please.', startMs: 2000 },
  { role: 'agent', text: 'Booked. We will call you back.', startMs: 5000, interrupted: true },
];
const signal = new AbortController().signal;
const opts = { spec, transcript, language: 'en-US', signal };

describe('post-call analysis', () => {
  test('the model fills the analysis tool; the prompt carries the transcript and instructions', async () => {
    const llm = new FakeLlm({
      replies: [
        {
          toolCalls: [
            {
              name: ANALYSIS_TOOL,
              args: {
                summary: ' Booked a table for four. ',
                wants_callback: true,
                party_size: 4,
                sentiment: 'Positive',
              },
            },
          ],
        },
      ],
    });
    const r = await analyzeTranscript(llm, opts);
    assert.deepEqual(r, {
      summary: 'Booked a table for four.',
      fields: { wants_callback: true, party_size: 4, sentiment: 'positive' },
    });
    const [system, user] = llm.requests[0]!;
    assert.match(system!.content, /A booking counts only when a date was agreed/);
    assert.match(user!.content, /Caller: A table for four tomorrow/);
    assert.match(user!.content, /Agent: Booked\. We will call you back\. \[interrupted\]/);
  });

  test('wrong types and values outside the enum become null; extra keys are dropped', async () => {
    const llm = new FakeLlm({
      replies: [
        {
          toolCalls: [
            {
              name: ANALYSIS_TOOL,
              args: { summary: 7, wants_callback: 'maybe', party_size: '4', sentiment: 'angry', extra: 1 },
            },
          ],
        },
      ],
    });
    const r = await analyzeTranscript(llm, opts);
    assert.deepEqual(r, { fields: { wants_callback: null, party_size: 4, sentiment: null } });
  });

  test('a model without tool calls may answer with the JSON object as text', async () => {
    const llm = new FakeLlm({
      replies: [
        'Here you go: ```json {"summary": "Short call.", "wants_callback": false, "party_size": null} ```',
      ],
    });
    const r = await analyzeTranscript(llm, opts);
    assert.deepEqual(r, {
      summary: 'Short call.',
      fields: { wants_callback: false, party_size: null, sentiment: null },
    });
  });

  test('an answer with no analysis in it is an error, not an empty result', async () => {
    const llm = new FakeLlm({ replies: ['I cannot help with that.'] });
    await assert.rejects(analyzeTranscript(llm, opts), (e: unknown) => e instanceof ProviderError);
  });

  test('a call where nothing was said is not sent to the model', async () => {
    const llm = new FakeLlm();
    const r = await analyzeTranscript(llm, { ...opts, transcript: [] });
    assert.equal(llm.requests.length, 0);
    assert.deepEqual(r.fields, { wants_callback: null, party_size: null, sentiment: null });
  });

  test('the tool schema makes every field required and nullable', () => {
    const t = analysisTool(spec);
    const p = t.parameters as {
      required: string[];
      properties: Record<string, { type: unknown; enum?: unknown[] }>;
    };
    assert.deepEqual(p.required, ['summary', 'wants_callback', 'party_size', 'sentiment']);
    assert.deepEqual(p.properties.party_size!.type, ['number', 'null']);
    assert.deepEqual(p.properties.sentiment!.enum, ['positive', 'negative', null]);
  });

  test('analyzeCall uses the analysis chain, falls back past a model that cannot connect, and names it', async () => {
    const good = new FakeLlm({
      replies: [{ toolCalls: [{ name: ANALYSIS_TOOL, args: { summary: 'Fine.', wants_callback: false } }] }],
    });
    const factory = new FakeProviderFactory({
      llm: {
        'local:broken': new FakeLlm({ failConnect: new ProviderError('auth', 'bad key') }),
        'local:good': good,
      },
    });
    const config = agentConfigSchema.parse({ analysis: { ...spec, llm: ['local:broken', 'local:good'] } });
    const r = await analyzeCall({
      providers: factory,
      config,
      transcript,
      ctx: { callId: 'c', workspaceId: 'w', agentId: 'a', language: 'en-US', logger: silentLogger() },
      signal,
    });
    assert.equal(r.provider, 'local:good');
    assert.equal(r.summary, 'Fine.');
  });

  test('the agent document refuses analysis without a model that can do it, naming the field', () => {
    const r = agentConfigSchema.safeParse({ analysis: { summary: true } });
    assert.equal(r.success, false);
    assert.deepEqual(r.error?.issues[0]?.path, ['analysis', 'llm']);
    const ok = agentConfigSchema.safeParse({ analysis: { summary: true, llm: ['local:fake'] } });
    assert.equal(ok.success, true);
    const dup = agentConfigSchema.safeParse({
      analysis: {
        llm: ['local:fake'],
        fields: [
          { name: 'a', type: 'number', description: '', enum: ['x'] },
          { name: 'a', type: 'string', description: '' },
        ],
      },
    });
    assert.deepEqual(
      dup.error?.issues.map((i) => i.path.join('.')),
      ['analysis.fields.0.enum', 'analysis.fields.1.name'],
    );
  });
});
