/**
 * Every operation of the API, fed text no database column can hold and shapes no handler expects:
 * NUL bytes, unpaired surrogates, a megabyte string, nesting thousands deep, hostile field names.
 * The answer is never a 5xx, and whatever was stored before is still there, unchanged.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { testBackends } from '@switchboard/store/testing';
import fc from 'fast-check';
import { bearer, createTestApp, type TestApp } from './testing.js';

type Schema = Record<string, unknown> & {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  minItems?: number;
};

interface Operation {
  method: string;
  url: string;
  body?: Schema;
  query: { name: string; schema: Schema }[];
  params: string[];
}

const HOSTILE_TEXT = [
  'before\u0000after',
  'lone high \uD800 surrogate',
  'lone low \uDFFF surrogate',
  '\u0000',
  'x'.repeat(1 << 20),
];

/** Many levels of arrays, as JSON text (too deep for JSON.stringify to write). */
const DEEP = `${'['.repeat(5000)}${']'.repeat(5000)}`;
const DEEP_MARK = '__deep__';

function resolver(spec: { components?: { schemas?: Record<string, Schema> } }) {
  return (s: Schema | undefined): Schema | undefined => {
    let cur = s;
    for (let i = 0; i < 8 && cur?.$ref; i++) {
      cur = spec.components?.schemas?.[cur.$ref.replace('#/components/schemas/', '')];
    }
    return cur;
  };
}

/** A value that fits the schema where it can be made simply; validation may still refuse it. */
function sampler(resolve: (s: Schema | undefined) => Schema | undefined, ids: Record<string, string>) {
  const sample = (raw: Schema | undefined, depth = 0): unknown => {
    const s = resolve(raw);
    if (!s || depth > 8) return null;
    if ('const' in s) return s.const;
    if (s.enum) return s.enum[0];
    const branches = s.anyOf ?? s.oneOf;
    if (branches) {
      const pick = branches.find((b) => resolve(b)?.type !== 'null') ?? branches[0];
      return sample(pick, depth + 1);
    }
    if (s.allOf) return Object.assign({}, ...s.allOf.map((b) => sample(b, depth + 1)));
    const type = Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type;
    switch (type) {
      case 'object': {
        const out: Record<string, unknown> = {};
        for (const k of s.required ?? []) out[k] = sample(s.properties?.[k], depth + 1);
        return out;
      }
      case 'array':
        return Array.from({ length: Math.max(1, s.minItems ?? 0) }, () => sample(s.items, depth + 1));
      case 'string':
        if (s.format === 'uuid') return ids.agent;
        if (s.format === 'email') return 'someone@example.com';
        if (s.format === 'uri') return 'https://example.com/hook';
        if (s.format === 'date-time') return new Date().toISOString();
        if (s.pattern) {
          const [v] = fc.sample(fc.stringMatching(new RegExp(s.pattern)), { numRuns: 1, seed: 7 });
          if (v !== undefined) return v.slice(0, s.maxLength ?? v.length);
        }
        return 'sample'.padEnd(s.minLength ?? 0, 'x').slice(0, s.maxLength ?? 100);
      case 'integer':
      case 'number':
        return s.minimum ?? 1;
      case 'boolean':
        return false;
      default:
        return null;
    }
  };
  return sample;
}

/** Paths (as key lists) to every field of the schema that may hold text, optional ones included. */
function textFields(resolve: (s: Schema | undefined) => Schema | undefined, raw: Schema | undefined) {
  const out: (string | number)[][] = [];
  const walk = (r: Schema | undefined, path: (string | number)[], depth: number) => {
    const s = resolve(r);
    if (!s || depth > 6) return;
    for (const b of [...(s.anyOf ?? []), ...(s.oneOf ?? []), ...(s.allOf ?? [])]) walk(b, path, depth + 1);
    const types = [s.type].flat();
    if (types.includes('string')) out.push(path);
    if (types.includes('object')) {
      for (const [k, p] of Object.entries(s.properties ?? {})) walk(p, [...path, k], depth + 1);
      // Records (agent variables, provider settings) take any field name.
      if (!s.properties || s.additionalProperties) out.push([...path, 'anyField']);
    }
    if (types.includes('array')) walk(s.items, [...path, 0], depth + 1);
  };
  walk(raw, [], 0);
  const seen = new Set<string>();
  return out.filter((p) => {
    const key = JSON.stringify(p);
    return !seen.has(key) && seen.add(key);
  });
}

function setAt(root: unknown, path: (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path as [string | number, ...(string | number)[]];
  const base = (
    typeof head === 'number'
      ? Array.isArray(root)
        ? [...root]
        : []
      : root && typeof root === 'object' && !Array.isArray(root)
        ? { ...(root as Record<string, unknown>) }
        : {}
  ) as Record<string | number, unknown>;
  base[head] = setAt(base[head], rest, value);
  return base;
}

function operations(spec: { paths: Record<string, Record<string, Record<string, unknown>>> }): Operation[] {
  const ops: Operation[] = [];
  for (const [url, methods] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const parameters = (op.parameters ?? []) as { in: string; name: string; schema: Schema }[];
      const content = (op.requestBody as { content?: Record<string, { schema: Schema }> } | undefined)
        ?.content;
      ops.push({
        method: method.toUpperCase(),
        url,
        ...(content?.['application/json'] ? { body: content['application/json'].schema } : {}),
        query: parameters.filter((p) => p.in === 'query').map((p) => ({ name: p.name, schema: p.schema })),
        params: parameters.filter((p) => p.in === 'path').map((p) => p.name),
      });
    }
  }
  return ops;
}

/** Real objects for path ids, so PATCH and POST reach the rows they would change. */
async function seed(t: TestApp, key: string): Promise<Record<string, string>> {
  const post = async (url: string, payload: unknown) => {
    const r = await t.app.inject({ method: 'POST', url, headers: bearer(key), payload: payload as object });
    return r.statusCode < 300 ? (r.json().id as string | undefined) : undefined;
  };
  const ids: Record<string, string> = {};
  const put = (name: string, id: string | undefined) => {
    if (id) ids[name] = id;
  };
  put('agent', await post('/v1/agents', { name: 'Seeded agent', config: { greeting: 'Hello there.' } }));
  put('credential', await post('/v1/credentials', { name: 'seeded', value: 'sk-seeded-secret-0001' }));
  put('provider', await post('/v1/providers', { name: 'seeded', kind: 'llm', type: 'local:answerer' }));
  put('phone-number', await post('/v1/phone-numbers', { number: 'seeded', connector: 'sip' }));
  put('webhook', await post('/v1/webhooks', { url: 'https://example.com/hook', eventTypes: ['call.ended'] }));
  put('caller-id-pool', await post('/v1/caller-id-pools', { name: 'seeded', numbers: ['+14155550101'] }));
  put(
    'campaign',
    await post('/v1/campaigns', {
      agentId: ids.agent,
      name: 'Seeded campaign',
      contacts: [{ phone: '+14155550102' }],
    }),
  );
  return ids;
}

function idFor(url: string, param: string, ids: Record<string, string>, workspaceId: string): string {
  if (param === 'workspaceId' || url.startsWith('/v1/workspaces/')) return workspaceId;
  const resource = /^\/v1\/([a-z-]+?)s?\//.exec(url)?.[1] ?? '';
  return ids[resource] ?? ids[`${resource}s`] ?? '00000000-0000-4000-8000-000000000001';
}

for (const backend of testBackends()) {
  describe(`hostile input never gets a 5xx (${backend})`, { timeout: 600_000 }, () => {
    test('every operation, every text field, every query parameter', async () => {
      const t = await createTestApp({ backend, env: { RATE_LIMIT_PER_MINUTE: '1000000' } });
      try {
        const admin = t.adminKey;
        const ids = await seed(t, admin);
        const spec = t.app.swagger() as unknown as Parameters<typeof operations>[0] & {
          components?: { schemas?: Record<string, Schema> };
        };
        const resolve = resolver(spec);
        const sample = sampler(resolve, ids);
        const before = (await t.app.inject({ url: `/v1/agents/${ids.agent}`, headers: bearer(admin) })).body;
        const failures: string[] = [];
        let requests = 0;
        let refusedAtEdge = 0;
        for (const op of operations(spec)) {
          const url = op.url.replace(/\{(\w+)\}/g, (_m, p: string) => idFor(op.url, p, ids, t.workspaceId));
          const headers = op.url.startsWith('/internal')
            ? { 'x-internal-token': t.internalToken }
            : bearer(admin);
          const attempt = async (target: string, payload?: unknown) => {
            requests++;
            const r = await t.app.inject({
              method: op.method,
              url: target,
              headers: {
                ...headers,
                ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
              },
              ...(payload === undefined
                ? {}
                : { payload: JSON.stringify(payload).replace(`"${DEEP_MARK}"`, DEEP) }),
            });
            if (r.statusCode >= 500)
              failures.push(`${op.method} ${op.url} → ${r.statusCode} ${r.body.slice(0, 200)}`);
            if (r.statusCode === 400 && /NUL|surrogate|nested more/.test(r.body)) refusedAtEdge++;
          };
          for (const q of op.query) {
            for (const v of HOSTILE_TEXT.slice(0, 3)) {
              await attempt(`${url}?${new URLSearchParams({ [q.name]: v })}`);
            }
          }
          if (!op.body) continue;
          const valid = sample(op.body);
          for (const path of textFields(resolve, op.body)) {
            for (const v of HOSTILE_TEXT) await attempt(url, setAt(valid, path, v));
          }
          await attempt(url, setAt(valid, ['nested'], DEEP_MARK));
          await attempt(url, { ...(valid as object), 'bad\u0000key': 1 });
          await attempt(url, { ...(valid as object), 'bad\uD800key': 1 });
        }
        assert.deepEqual(failures, []);
        assert.ok(requests > 500, `covered ${requests} requests`);
        assert.ok(refusedAtEdge > 100, `${refusedAtEdge} refused naming the bad text`);
        const afterRead = (await t.app.inject({ url: `/v1/agents/${ids.agent}`, headers: bearer(admin) }))
          .body;
        assert.equal(afterRead, before, 'what was stored before is unchanged');
      } finally {
        await t.close();
      }
    });

    test('the refusal names the field and the problem', async () => {
      const t = await createTestApp({ backend });
      try {
        const r = await t.app.inject({
          method: 'POST',
          url: '/v1/agents',
          headers: bearer(t.adminKey),
          payload: { name: 'Ok', config: { greeting: 'Hi\u0000there' } },
        });
        assert.equal(r.statusCode, 400);
        assert.deepEqual(r.json().error.details, [
          {
            path: 'body.config.greeting',
            message: 'contains a NUL character (\\u0000), which cannot be stored',
          },
        ]);
        const q = await t.app.inject({ url: '/v1/agents?name=a%00b', headers: bearer(t.adminKey) });
        assert.equal(q.statusCode, 400);
        const nested = await t.app.inject({
          method: 'POST',
          url: '/v1/agents',
          headers: { ...bearer(t.adminKey), 'content-type': 'application/json' },
          payload: `{"name":"Deep","config":{"variables":${'['.repeat(200_000)}${']'.repeat(200_000)}}}`,
        });
        assert.ok(nested.statusCode === 400 || nested.statusCode === 413, `${nested.statusCode}`);
      } finally {
        await t.close();
      }
    });
  });
}
