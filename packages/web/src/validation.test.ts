import assert from 'node:assert/strict';
import { test } from 'node:test';
import { errorsFor, fieldErrors, unclaimed } from './validation';

// The details of a 400 from PATCH /v1/agents/:id, as the API sends them.
const details = [
  { path: 'body.config.language', message: 'expected a BCP 47 language tag such as en-US' },
  { path: 'body.config.turnTaking.endOfTurnSilenceMs', message: 'Too small: expected number to be >=100' },
  { path: 'body.config.providers.asr.0', message: 'unknown provider' },
  { path: 'body.config.knowledge.faq.2.answer', message: 'Too big' },
  { path: 'body.name', message: 'Too small' },
  { path: 'body', message: 'expected an object' },
];

test('API paths lose their request part and group by field', () => {
  const e = fieldErrors(details);
  assert.deepEqual(e['config.language'], ['expected a BCP 47 language tag such as en-US']);
  assert.deepEqual(e.name, ['Too small']);
  assert.deepEqual(e[''], ['expected an object']);
  assert.deepEqual(fieldErrors([{ path: 'querystring.until', message: 'x' }]), {
    'querystring.until': ['x'],
  });
  assert.deepEqual(fieldErrors([{ path: 'query.until', message: 'x' }]), { until: ['x'] });
});

test("a field gets its own messages and those inside it, never a sibling's", () => {
  const e = fieldErrors(details);
  assert.deepEqual(errorsFor(e, 'config.language'), ['expected a BCP 47 language tag such as en-US']);
  assert.deepEqual(errorsFor(e, 'config.turnTaking.endOfTurnSilenceMs'), [
    'Too small: expected number to be >=100',
  ]);
  // An element of a list shows on the list's control, saying which element.
  assert.deepEqual(errorsFor(e, 'config.providers.asr'), ['0: unknown provider']);
  assert.deepEqual(errorsFor(e, 'config.providers.llm'), []);
  // A prefix of another field's name is not that field.
  assert.deepEqual(
    errorsFor(fieldErrors([{ path: 'body.config.voiceSpeed', message: 'x' }]), 'config.voice'),
    [],
  );
});

test('messages no control claims are listed with their paths, so none is lost', () => {
  const e = fieldErrors(details);
  assert.deepEqual(
    unclaimed(e, ['name', 'config.language', 'config.turnTaking.endOfTurnSilenceMs', 'config.providers.asr']),
    ['config.knowledge.faq.2.answer: Too big', 'expected an object'],
  );
});
