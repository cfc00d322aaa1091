import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openStore } from '@switchboard/store';

const root = join(import.meta.dirname, '..', '..', '..');
const bin = join(root, 'bin', 'switchboard.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `switchboard models …` as its own process, in `cwd`, with only `env` for configuration. */
function models(cwd: string, env: Record<string, string>, ...args: string[]): Promise<Run> {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !['DATABASE_URL', 'DATA_DIR', 'MODELS_DIR'].includes(k)),
  );
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bin, 'models', ...args],
      { cwd, env: { ...base, LOG_LEVEL: 'error', ...env } },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** The table row of `id` in a command's output, its cells split on runs of spaces. */
function row(out: string, id: string): string[] {
  const line = out.split('\n').find((l) => l.startsWith(`${id} `));
  assert.ok(line, `no row for ${id} in:\n${out}`);
  return line.split(/\s{2,}/);
}

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('switchboard models, run as a process', () => {
  let dir: string;
  let env: Record<string, string>;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sb-models-cli-'));
    env = { DATA_DIR: join(dir, 'data') };
    // An agent on the system recogniser: its model is needed beside the defaults'.
    const store = await openStore({ dataDir: env.DATA_DIR });
    try {
      const ws = await store.accounts.createWorkspace('Acme');
      await store.agents.create(ws.id, {
        name: 'Phone line',
        publish: true,
        config: {
          providers: { asr: ['local:pocketsphinx'], llm: ['local:answerer'], tts: ['local:espeak'] },
        },
      });
    } finally {
      await store.close();
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('list names what the agents need; prepare copies it with checksums; list then finds it present', async () => {
    const listed = await models(dir, env, 'list');
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, new RegExp(`Models in ${join(dir, 'data', 'models')}:`));
    assert.deepEqual(row(listed.stdout, 'asr/pocketsphinx-en-us').slice(0, 3), [
      'asr/pocketsphinx-en-us',
      'missing',
      'Phone line',
    ]);
    assert.deepEqual(row(listed.stdout, 'asr/soundswallower-en-us').slice(1, 3), [
      'missing',
      'new agents (default providers)',
    ]);
    assert.deepEqual(row(listed.stdout, 'tts/espeak-ng-voices').slice(1, 3), [
      'missing',
      'Phone line, new agents (default providers), the unavailable line',
    ]);
    assert.deepEqual(row(listed.stdout, 'vad/silero-v5').slice(1, 3), [
      'missing',
      'Phone line, new agents (default providers)',
    ]);

    const prepared = await models(dir, env, 'prepare');
    assert.equal(prepared.code, 0, prepared.stderr);
    assert.deepEqual(row(prepared.stdout, 'asr/soundswallower-en-us').slice(1, 3), ['copied', '9.9 MB']);
    assert.deepEqual(row(prepared.stdout, 'asr/pocketsphinx-en-us').slice(1, 2), ['copied']);
    assert.match(prepared.stdout, /^total \d+\.\d MB$/m);
    const modelsDir = join(dir, 'data', 'models');
    const manifest = JSON.parse(readFileSync(join(modelsDir, 'manifest.json'), 'utf8'));
    assert.deepEqual(Object.keys(manifest.models).sort(), [
      'asr/pocketsphinx-en-us',
      'asr/soundswallower-en-us',
      'tts/espeak-ng-voices',
      'vad/silero-v5',
    ]);
    const mdef = join(modelsDir, 'asr/soundswallower-en-us/mdef');
    assert.equal(manifest.models['asr/soundswallower-en-us'].files.mdef.sha256, sha(mdef));

    const again = await models(dir, env, 'prepare');
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(row(again.stdout, 'asr/soundswallower-en-us').slice(1, 2), ['present (verified)']);

    const present = await models(dir, env, 'list');
    assert.equal(present.code, 0, present.stderr);
    for (const id of Object.keys(manifest.models)) assert.equal(row(present.stdout, id)[1], 'present');
  });

  test('a corrupted file: list says corrupt and fails, export refuses, prepare repairs, import round-trips', async () => {
    const modelsDir = join(dir, 'data', 'models');
    const onnx = join(modelsDir, 'vad/silero-v5/silero_vad_v5.onnx');
    const bytes = readFileSync(onnx);
    bytes[100] = (bytes[100] as number) ^ 0xff;
    writeFileSync(onnx, bytes);
    const listed = await models(dir, env, 'list');
    assert.equal(listed.code, 1);
    assert.equal(row(listed.stdout, 'vad/silero-v5')[1], 'corrupt');
    assert.match(
      listed.stdout,
      /vad\/silero-v5 is corrupt: vad\/silero-v5\/silero_vad_v5\.onnx does not match its sha256/,
    );

    const bundle = join(dir, 'models.tar.gz');
    const refused = await models(dir, env, 'export', bundle);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /model vad\/silero-v5 is corrupt \(vad\/silero-v5\/silero_vad_v5\.onnx/);

    const repaired = await models(dir, env, 'prepare');
    assert.equal(repaired.code, 0, repaired.stderr);
    assert.equal(row(repaired.stdout, 'vad/silero-v5')[1], 'copied');

    const exported = await models(dir, env, 'export', bundle);
    assert.equal(exported.code, 0, exported.stderr);
    assert.match(exported.stdout, /wrote .*models\.tar\.gz \(\d+\.\d MB\)/);

    // Another machine: a fresh data directory with its models elsewhere.
    const other = { DATA_DIR: join(dir, 'other'), MODELS_DIR: join(dir, 'other-models') };
    const imported = await models(dir, other, 'import', bundle);
    assert.equal(imported.code, 0, imported.stderr);
    assert.equal(row(imported.stdout, 'asr/pocketsphinx-en-us')[1], 'imported');
    const all = await models(dir, other, 'list', '--all');
    assert.equal(all.code, 0, all.stderr);
    for (const id of [
      'asr/pocketsphinx-en-us',
      'asr/soundswallower-en-us',
      'tts/espeak-ng-voices',
      'vad/silero-v5',
    ]) {
      assert.equal(row(all.stdout, id)[1], 'present', id);
    }
    assert.equal(sha(join(other.MODELS_DIR, 'vad/silero-v5/silero_vad_v5.onnx')), sha(onnx));
  });

  test('a bad command line is a usage error', async () => {
    const r = await models(dir, env, 'import');
    assert.equal(r.code, 64);
    assert.match(r.stderr, /Usage: switchboard models/);
  });
});
