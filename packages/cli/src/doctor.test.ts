import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { loadDotEnv, platformUrl, reachPlatform } from './cli-env.js';
import { doctorCommand, MIN_NODE } from './doctor.js';

function sink() {
  let text = '';
  return {
    out: new Writable({
      write(chunk, _enc, done) {
        text += String(chunk);
        done();
      },
    }),
    text: () => text,
  };
}

test('doctor names a port taken by another program and how to fix it, and fails', async (t) => {
  const other = createServer((s) => s.end('not switchboard'));
  await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
  t.after(() => other.close());
  const port = (other.address() as { port: number }).port;
  const dir = mkdtempSync(join(tmpdir(), 'sb-doctor-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const s = sink();
  const code = await doctorCommand({ PORT: String(port), DATA_DIR: dir, SIP_ENABLED: 'false' }, s.out);
  assert.equal(code, 1);
  assert.match(s.text(), new RegExp(`✗ HTTP port 127\\.0\\.0\\.1:${port} is in use by another program`));
  assert.match(s.text(), /→ stop that program or set PORT to a free port/);
  assert.match(s.text(), /✓ embedded database \(PGlite\)/);
});

test('doctor reports an invalid configuration with the setting that is wrong', async () => {
  const s = sink();
  assert.equal(await doctorCommand({ PORT: 'eighty' }, s.out), 1);
  assert.match(s.text(), /✗ configuration is invalid/);
  assert.match(s.text(), /PORT/);
});

test('the CLI finds the platform where npm start listens with the same environment', () => {
  assert.equal(platformUrl(undefined, {}), 'http://127.0.0.1:3000');
  assert.equal(platformUrl(undefined, { HOST: '0.0.0.0', PORT: '8080' }), 'http://127.0.0.1:8080');
  assert.equal(
    platformUrl(undefined, { PORT: '8080', PUBLIC_URL: 'https://voice.example.com/' }),
    'https://voice.example.com',
  );
  assert.equal(platformUrl('http://other:1', { PUBLIC_URL: 'https://voice.example.com' }), 'http://other:1');
});

test('.env fills in what the environment does not set, and never overrides it', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-env-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, '.env'), 'PORT=4100\nHOST=127.0.0.2\n# comment\n');
  const env: NodeJS.ProcessEnv = { HOST: '127.0.0.1' };
  assert.equal(loadDotEnv(dir, env), join(dir, '.env'));
  assert.equal(env.PORT, '4100');
  assert.equal(env.HOST, '127.0.0.1');
  assert.equal(platformUrl(undefined, env), 'http://127.0.0.1:4100');
});

test('a platform that is not running is named, with what to do, instead of "fetch failed"', async () => {
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const port = (closed.address() as { port: number }).port;
  await new Promise((r) => closed.close(r));
  await assert.rejects(
    reachPlatform(`http://127.0.0.1:${port}/v1/agents`, {}),
    /cannot reach Switchboard at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)\. Is it running \(npm start\)\?/,
  );
});

const root = new URL('../../../', import.meta.url).pathname;

test("doctor's Node.js minimum is package.json's engines.node", () => {
  const engines = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).engines;
  assert.equal(engines.node, `>=${MIN_NODE.join('.')}`);
});

test('an entry point imports nothing statically but the version check, so an older Node.js can link it', () => {
  // A static import of something only a newer Node.js has (a built-in's new export) fails at link
  // time, before the check runs, with a SyntaxError instead of the line saying what to install.
  for (const [entry, check] of [
    ['scripts/start.mjs', './require-node.mjs'],
    ['scripts/test.mjs', './require-node.mjs'],
    ['bin/switchboard.js', '../scripts/require-node.mjs'],
  ] as const) {
    const statics = [
      ...readFileSync(join(root, entry), 'utf8').matchAll(/^import\s[^(]*?['"]([^'"]+)['"];?$/gm),
    ].map((m) => m[1]);
    assert.deepEqual(statics, [check], `${entry} imports statically`);
  }
});

test('every entry point refuses an older Node.js with what to install, before loading anything', () => {
  // Makes this runtime report an older version, as Node.js 20 would.
  const older = `data:text/javascript,Object.defineProperty(process,"versions",{value:{...process.versions,node:"${MIN_NODE[0] - 2}.20.2"}})`;
  for (const entry of ['scripts/start.mjs', 'scripts/test.mjs', 'bin/switchboard.js']) {
    const run = spawnSync(process.execPath, ['--import', older, join(root, entry), '--version'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(run.status, 1, `${entry}: ${run.stderr}`);
    assert.match(
      run.stderr,
      new RegExp(
        `needs Node\\.js ${MIN_NODE.join('\\.')} or newer; this is Node\\.js ${MIN_NODE[0] - 2}\\.20\\.2`,
      ),
    );
    assert.match(run.stderr, /nodejs\.org/);
    assert.equal(run.stdout, '', `${entry} started something before the check`);
  }
});
