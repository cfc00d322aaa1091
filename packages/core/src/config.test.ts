import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ConfigError, envSchema, loadConfig } from './config.js';

const root = new URL('../../../', import.meta.url);

test('defaults give a working embedded configuration', () => {
  const c = loadConfig({});
  assert.equal(c.PORT, 3000);
  assert.equal(c.HOST, '127.0.0.1');
  assert.equal(c.DATABASE_URL, undefined);
  assert.equal(c.publicUrl, 'http://127.0.0.1:3000');
  assert.deepEqual(c.CORS_ORIGINS, []);
});

test('a bad value names the variable and what is expected', () => {
  const cases: [Record<string, string>, string, RegExp][] = [
    [{ PORT: 'eighty' }, 'PORT', /number/i],
    [{ PORT: '70000' }, 'PORT', /65535/],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL', /postgres/],
    [{ MASTER_KEY: 'short' }, 'MASTER_KEY', /32 bytes/],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL', /info/],
    [{ OWNER_EMAIL: 'a@b.co' }, 'OWNER_PASSWORD', /together/],
  ];
  for (const [env, variable, expected] of cases) {
    assert.throws(
      () => loadConfig(env),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        const issue = e.issues.find((i) => i.variable === variable);
        assert.ok(issue, `${variable} not named in ${e.message}`);
        assert.match(issue.message, expected);
        assert.match(e.message, new RegExp(variable));
        return true;
      },
    );
  }
});

test('secrets in bad values are not echoed', () => {
  assert.throws(
    () => loadConfig({ MASTER_KEY: 'not-a-valid-but-secret-value' }),
    (e: ConfigError) => !e.message.includes('not-a-valid-but-secret-value'),
  );
});

test('empty strings count as unset; CSV lists are split', () => {
  const c = loadConfig({ PORT: '', CORS_ORIGINS: 'https://a.example, https://b.example' });
  assert.equal(c.PORT, 3000);
  assert.deepEqual(c.CORS_ORIGINS, ['https://a.example', 'https://b.example']);
});

test('README and .env.example list every variable the schema reads', () => {
  const readme = readFileSync(new URL('README.md', root), 'utf8');
  const example = readFileSync(new URL('.env.example', root), 'utf8');
  for (const key of Object.keys(envSchema.shape)) {
    assert.match(readme, new RegExp(`\`${key}\``), `README lacks ${key}`);
    assert.match(example, new RegExp(`^# ${key}=`, 'm'), `.env.example lacks ${key}`);
  }
});
