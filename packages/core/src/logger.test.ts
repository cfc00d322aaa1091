import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { bindLogger, createLogger } from './logger.js';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, logger: createLogger({ destination }) };
}

/** The shape drizzle gives a failed query: every bound value in its message and `params`. */
class FailedQuery extends Error {
  constructor(
    readonly query: string,
    readonly params: unknown[],
    cause: unknown,
  ) {
    super(`Failed query: ${query}\nparams: ${params}`, { cause });
  }
}

test('a failed query is logged without the values it was bound to', () => {
  const { lines, logger } = capture();
  const pg = Object.assign(new Error('duplicate key value violates unique constraint "calls_custom_id_uq"'), {
    code: '23505',
    detail: 'Key (custom_call_id)=(+15551234567) already exists.',
  });
  const err = new FailedQuery(
    'insert into "calls" ("to_number", "variables") values ($1, $2)',
    ['+15551234567', '{"name":"Ada"}'],
    pg,
  );
  logger.error({ err }, 'request failed');
  const line = lines.join('');
  assert.doesNotMatch(line, /15551234567/);
  assert.doesNotMatch(line, /Ada/);
  const parsed = JSON.parse(line);
  assert.match(parsed.err.message, /insert into "calls"/, 'the SQL text stays');
  assert.match(parsed.err.message, /params: \[2 redacted\]/);
  assert.equal(parsed.err.code, '23505', "the cause's database error code stays");
});

test('bindLogger never writes a key twice into one line', () => {
  const { lines, logger } = capture();
  const call = logger.child({ callId: 'c1', agentId: 'a1', connector: 'sip' });
  bindLogger(call, { callId: 'c1', agentId: 'a1', turn: 3 }).info('hello');
  const line = lines.join('');
  assert.equal(line.match(/"callId"/g)?.length, 1);
  assert.equal(line.match(/"agentId"/g)?.length, 1);
  assert.equal(JSON.parse(line).turn, 3);
  assert.equal(bindLogger(call, { callId: 'c1' }), call, 'nothing new to bind: the same logger');
});
