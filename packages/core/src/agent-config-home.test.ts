import assert from 'node:assert/strict';
import { test } from 'node:test';
import { agentConfigSchema } from './agent-config.js';

test('home access is off and empty by default, with locks, alarms and covers needing a confirmation', () => {
  const c = agentConfigSchema.parse({});
  assert.deepEqual(c.home, {
    enabled: false,
    domains: [],
    entities: [],
    readOnly: false,
    confirmDomains: ['lock', 'alarm_control_panel', 'cover'],
  });
});

test('a malformed domain or entity id is refused with its path', () => {
  const r = agentConfigSchema.safeParse({
    home: { enabled: true, domains: ['Light'], entities: ['kitchen'] },
  });
  assert.equal(r.success, false);
  const paths = r.error!.issues.map((i) => i.path.join('.'));
  assert.deepEqual(paths.sort(), ['home.domains.0', 'home.entities.0']);
});

test('a configured tool may not take a home tool name while home access is on', () => {
  const tool = { type: 'end_call', name: 'home_list', description: 'x' };
  const on = agentConfigSchema.safeParse({ home: { enabled: true, domains: ['light'] }, tools: [tool] });
  assert.equal(on.success, false);
  assert.match(on.error!.issues[0]!.message, /home_list is a built-in Home Assistant tool/);
  assert.equal(agentConfigSchema.safeParse({ tools: [tool] }).success, true);
});
