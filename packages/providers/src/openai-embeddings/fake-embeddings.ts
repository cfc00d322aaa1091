import { type FakeHttpServer, fakeHttpServer, sendJson } from '../util/test-servers.js';

const STOP = new Set(
  'a an and are as at be by can do does for from how i in is it my of on or the to what when where which who why will with you your'.split(
    ' ',
  ),
);

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * A deterministic stand-in for a sentence-embedding model: each word (lower-cased, a plural `s`
 * dropped, stop words skipped) is mapped through `synonyms` to a concept, and each concept adds 1
 * to a dimension chosen by hashing it with the model name. Two texts are near when they share
 * concepts, so a paraphrase made of listed synonyms is found although it shares no word; another
 * model name gives unrelated vectors, as a real change of model does.
 */
export function conceptEmbedding(
  text: string,
  model: string,
  dims = 256,
  synonyms: Readonly<Record<string, string>> = {},
): number[] {
  const v = new Array<number>(dims).fill(0);
  for (const raw of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    if (STOP.has(raw)) continue;
    const word = raw.length > 3 && raw.endsWith('s') && !raw.endsWith('ss') ? raw.slice(0, -1) : raw;
    const concept = synonyms[word] ?? word;
    v[fnv1a(`${model}\u0000${concept}`) % dims]! += 1;
  }
  return v;
}

export interface FakeEmbeddingsOptions {
  dims?: number;
  synonyms?: Readonly<Record<string, string>>;
  /** Answers with this status instead of embeddings, for the first N requests (retries). */
  failFirst?: { count: number; status: number };
  /** Models the server knows; another is a 404, as OpenAI answers. Any model when unset. */
  models?: readonly string[];
  /** Awaited before answering (a test holds a batch to look at the state meanwhile). */
  hold?: (model: string, input: readonly string[]) => Promise<void> | void;
}

/**
 * An OpenAI-compatible `/v1/embeddings` server on loopback answering `conceptEmbedding` vectors in
 * OpenAI's shape, in reverse order with their `index` (as a client must not rely on order).
 */
export async function fakeEmbeddingsServer(
  opts: FakeEmbeddingsOptions = {},
): Promise<FakeHttpServer & { baseUrl: string; inputs: () => number }> {
  let failed = 0;
  let inputs = 0;
  const server = await fakeHttpServer(async (req, res) => {
    if (req.method !== 'POST' || req.url !== '/v1/embeddings') {
      sendJson(res, 404, JSON.stringify({ error: { message: 'not found' } }));
      return;
    }
    if (opts.failFirst && failed < opts.failFirst.count) {
      failed++;
      sendJson(res, opts.failFirst.status, JSON.stringify({ error: { message: 'try again' } }));
      return;
    }
    let body: { model?: unknown; input?: unknown };
    try {
      body = JSON.parse(req.body.toString('utf8'));
    } catch {
      sendJson(res, 400, JSON.stringify({ error: { message: 'body is not JSON' } }));
      return;
    }
    const model = typeof body.model === 'string' ? body.model : '';
    const input = typeof body.input === 'string' ? [body.input] : body.input;
    if (!model || !Array.isArray(input) || !input.every((i) => typeof i === 'string')) {
      sendJson(res, 400, JSON.stringify({ error: { message: 'model and input are required' } }));
      return;
    }
    if (opts.models && !opts.models.includes(model)) {
      sendJson(res, 404, JSON.stringify({ error: { message: `model ${model} not found` } }));
      return;
    }
    await opts.hold?.(model, input);
    inputs += input.length;
    const data = input.map((text: string, index) => ({
      object: 'embedding',
      index,
      embedding: conceptEmbedding(text, model, opts.dims, opts.synonyms),
    }));
    const tokens = input.reduce((n: number, t: string) => n + t.split(/\s+/).length, 0);
    sendJson(
      res,
      200,
      JSON.stringify({
        object: 'list',
        data: data.reverse(),
        model,
        usage: { prompt_tokens: tokens, total_tokens: tokens },
      }),
    );
  });
  return { ...server, baseUrl: `${server.url}/v1`, inputs: () => inputs };
}
