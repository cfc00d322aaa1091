import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdir, readdir, rm, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createGzip } from 'node:zlib';
import { type AsrEvent, isProviderError } from '@switchboard/engine';
import { type AudioFrame, initMedia, MULAW_8K, PCM16_8K, silence } from '@switchboard/media';
import { EspeakTts } from '../local-espeak/espeak-tts.js';
import { SoundSwallowerAsr } from '../local-soundswallower/soundswallower-asr.js';
import { findBinary } from '../util/binaries.js';
import { MODEL_IDS, type ModelSpec, modelSpec } from './catalogue.js';
import { ModelLocator } from './locator.js';
import { readManifest } from './manifest.js';
import { checkModels, exportModels, importModels, prepareModels } from './models-dir.js';
import { missingModelsSummary, modelReadiness } from './readiness.js';

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const spec = (id: string) => modelSpec(id) as ModelSpec;
/** The recogniser and the VAD: small enough to copy in every test. */
const SMALL = [spec(MODEL_IDS.soundswallower), spec(MODEL_IDS.silero)];

let root: string;
let n = 0;
const fresh = () => join(root, `d${n++}`);

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'sb-models-'));
  await initMedia();
});
after(() => rmSync(root, { recursive: true, force: true }));

describe('models prepare', () => {
  it('copies each model from its source and records checksums that match the source files', async () => {
    const dir = fresh();
    const results = await prepareModels(dir, SMALL);
    assert.deepEqual(
      results.map((r) => [r.id, r.state]),
      SMALL.map((s) => [s.id, 'copied']),
    );
    const manifest = await readManifest(dir);
    for (const s of SMALL) {
      const source = s.source.dir() as string;
      const entry = manifest.models[s.id];
      assert.ok(entry, s.id);
      assert.deepEqual(Object.keys(entry.files).sort(), [...s.files].sort());
      let total = 0;
      for (const f of s.files) {
        const want = sha(join(source, f));
        assert.equal(entry.files[f]?.sha256, want, `${s.id}/${f} in the manifest`);
        assert.equal(sha(join(dir, s.id, f)), want, `${s.id}/${f} copied`);
        assert.equal(entry.files[f]?.bytes, statSync(join(source, f)).size);
        total += statSync(join(source, f)).size;
      }
      assert.equal(results.find((r) => r.id === s.id)?.bytes, total);
    }
    // Running it again verifies and keeps what is there.
    const again = await prepareModels(dir, SMALL);
    assert.deepEqual(
      again.map((r) => r.state),
      ['present', 'present'],
    );
    assert.deepEqual(
      (await checkModels(dir, SMALL)).map((c) => c.state),
      ['present', 'present'],
    );
  });

  it('reports a corrupted or deleted file as corrupt, naming it, and prepare repairs it', async () => {
    const dir = fresh();
    await prepareModels(dir, SMALL);
    // Same size, different bytes: only the checksum can tell.
    const mdef = join(dir, MODEL_IDS.soundswallower, 'mdef');
    const bytes = readFileSync(mdef);
    bytes[1000] = (bytes[1000] as number) ^ 0xff;
    writeFileSync(mdef, bytes);
    await rm(join(dir, MODEL_IDS.silero, 'silero_vad_v5.onnx'));
    const checks = await checkModels(dir, SMALL);
    assert.deepEqual(checks[0], {
      id: MODEL_IDS.soundswallower,
      state: 'corrupt',
      problem: `${MODEL_IDS.soundswallower}/mdef does not match its sha256`,
      bytes: checks[0]?.bytes,
      source: 'npm package soundswallower (model/en-us)',
    });
    assert.equal(checks[1]?.state, 'corrupt');
    assert.equal(checks[1]?.problem, `${MODEL_IDS.silero}/silero_vad_v5.onnx is missing`);
    // The loader does not take the corrupt copy: the packaged one serves.
    const located = await new ModelLocator(dir).locate(MODEL_IDS.soundswallower);
    assert.equal(located?.from, 'source');
    assert.equal(
      await new ModelLocator(dir, { packaged: false }).locate(MODEL_IDS.soundswallower),
      undefined,
    );
    const repaired = await prepareModels(dir, SMALL);
    assert.deepEqual(
      repaired.map((r) => r.state),
      ['copied', 'copied'],
    );
    assert.equal(sha(mdef), sha(join(spec(MODEL_IDS.soundswallower).source.dir() as string, 'mdef')));
  });
});

describe('models export and import', () => {
  for (const name of ['bundle.tar.gz', 'bundle.tar']) {
    it(`round-trips through ${name}: every file arrives with its checksum`, async () => {
      const from = fresh();
      const to = fresh();
      await prepareModels(from, SMALL);
      const file = join(root, `${n++}-${name}`);
      const exported = await exportModels(from, file);
      assert.deepEqual(exported.map((e) => e.id).sort(), SMALL.map((s) => s.id).sort());
      const gz = readFileSync(file).subarray(0, 2);
      assert.equal(gz[0] === 0x1f && gz[1] === 0x8b, name.endsWith('.gz'));
      const imported = await importModels(to, file);
      assert.deepEqual(
        imported.map((r) => r.state),
        ['imported', 'imported'],
      );
      const source = (await readManifest(from)).models;
      const got = (await readManifest(to)).models;
      for (const s of SMALL) {
        assert.deepEqual(got[s.id]?.files, source[s.id]?.files);
        assert.equal(got[s.id]?.importedFrom, file);
        for (const f of s.files) assert.equal(sha(join(to, s.id, f)), source[s.id]?.files[f]?.sha256);
      }
      assert.deepEqual(
        (await checkModels(to, SMALL)).map((c) => c.state),
        ['present', 'present'],
      );
      // Nothing of the staging area is left behind.
      assert.deepEqual((await readdir(to)).sort(), ['asr', 'manifest.json', 'vad']);
    });
  }

  it('imports a directory bundle (a models directory copied from another machine)', async () => {
    const from = fresh();
    const to = fresh();
    await prepareModels(from, SMALL);
    await importModels(to, from);
    assert.deepEqual(
      (await checkModels(to, SMALL)).map((c) => c.state),
      ['present', 'present'],
    );
  });

  it('imports a models directory packed with GNU tar (one top-level directory, directory entries)', {
    skip: findBinary('tar') ? false : 'needs tar on PATH (GNU tar makes the archive)',
  }, async () => {
    const from = fresh();
    await prepareModels(join(from, 'models'), SMALL);
    const file = join(root, `${n++}-gnu.tgz`);
    execFileSync('tar', ['czf', file, '-C', from, 'models']);
    const to = fresh();
    const imported = await importModels(to, file);
    assert.deepEqual(
      imported.map((r) => r.state),
      ['imported', 'imported'],
    );
    assert.deepEqual(
      (await checkModels(to, SMALL)).map((c) => c.state),
      ['present', 'present'],
    );
  });

  it('refuses a corrupt bundle, naming the file, and installs nothing', async () => {
    const from = fresh();
    const to = fresh();
    await prepareModels(from, SMALL);
    const onnx = join(from, MODEL_IDS.silero, 'silero_vad_v5.onnx');
    const bytes = readFileSync(onnx);
    bytes[200] = (bytes[200] as number) ^ 0x01;
    writeFileSync(onnx, bytes);
    await assert.rejects(importModels(to, from), (e: Error) => {
      assert.match(e.message, /vad\/silero-v5\/silero_vad_v5\.onnx does not match its sha256/);
      assert.match(e.message, /nothing was imported/);
      return true;
    });
    assert.equal((await readManifest(to)).models[MODEL_IDS.soundswallower], undefined);
    assert.deepEqual(await readdir(to), []);
  });

  it('refuses a partial bundle: a file the manifest lists is not in it', async () => {
    const from = fresh();
    await prepareModels(from, SMALL);
    const file = join(root, `${n++}-partial.tar`);
    await exportModels(from, file);
    // Cut the archive in the middle of the recogniser's files.
    await truncate(file, Math.floor(statSync(file).size / 2));
    await assert.rejects(importModels(fresh(), file), /truncated/);
    const gz = join(root, `${n++}-partial.tar.gz`);
    await exportModels(from, gz);
    await truncate(gz, Math.floor(statSync(gz).size / 2));
    await assert.rejects(importModels(fresh(), gz), /partial\.tar\.gz is not a readable models bundle: /);
    await rm(join(from, MODEL_IDS.soundswallower, 'sendump'));
    await assert.rejects(importModels(fresh(), from), /asr\/soundswallower-en-us\/sendump is missing/);
  });

  it('refuses an archive entry that would land outside the models directory', async () => {
    const to = fresh();
    await mkdir(to, { recursive: true });
    const file = join(root, `${n++}-evil.tar.gz`);
    await writeEvilTar(file);
    await assert.rejects(importModels(to, file), /\.\.\/escape.txt, a path outside the bundle/);
    assert.throws(() => statSync(join(root, 'escape.txt')));
  });

  it('refuses something that is not a bundle', async () => {
    const dir = fresh();
    await mkdir(dir, { recursive: true });
    await assert.rejects(importModels(fresh(), dir), /has no manifest\.json: not a models bundle/);
    const junk = join(root, `${n++}-junk.tar`);
    writeFileSync(junk, Buffer.alloc(2048, 7));
    await assert.rejects(importModels(fresh(), junk), /damaged header/);
  });
});

/** A one-entry tar.gz whose entry is named `../escape.txt`. */
async function writeEvilTar(file: string): Promise<void> {
  const h = Buffer.alloc(512);
  h.write('../escape.txt', 0);
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write('00000000002\0', 124);
  h.write('00000000000\0', 136);
  h.write('        ', 148);
  h.write('0', 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  const body = Buffer.alloc(512);
  body.write('hi');
  const gz = createGzip();
  const chunks: Buffer[] = [];
  gz.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise((r) => gz.on('end', r));
  gz.end(Buffer.concat([h, body, Buffer.alloc(1024)]));
  await done;
  writeFileSync(file, Buffer.concat(chunks));
}

describe('models load from the models directory', () => {
  it('recognises speech with the recogniser model from the models directory alone', async () => {
    const dir = fresh();
    await prepareModels(dir, [spec(MODEL_IDS.soundswallower)]);
    const models = new ModelLocator(dir, { packaged: false });
    const located = await models.locate(MODEL_IDS.soundswallower);
    assert.equal(located?.dir, join(dir, MODEL_IDS.soundswallower));
    const asr = new SoundSwallowerAsr({ models });
    const stream = await asr.connect({
      format: MULAW_8K,
      language: 'en-US',
      phrases: ['what are your opening hours', 'where are you located'],
      signal: new AbortController().signal,
    });
    const events: AsrEvent[] = [];
    const reading = (async () => {
      for await (const ev of stream.events) events.push(ev);
    })();
    const tts = new EspeakTts();
    const frames: AudioFrame[] = [];
    for await (const f of tts.synthesize({
      text: 'Where are you located?',
      format: MULAW_8K,
      signal: new AbortController().signal,
    }))
      frames.push(f);
    const pad = silence(MULAW_8K, 20);
    for (let i = 0; i < 25; i++) stream.push(pad);
    for (const [i, f] of frames.entries()) {
      stream.push(f);
      if (i % 10 === 9) await new Promise((r) => setImmediate(r));
    }
    for (let i = 0; i < 50; i++) stream.push(pad);
    await stream.close();
    await reading;
    const finals = events.filter((e) => e.type === 'final').map((e) => (e.type === 'final' ? e.text : ''));
    assert.deepEqual(finals, ['where are you located']);
  });

  it('speaks with the eSpeak NG voices from the models directory alone', async () => {
    const dir = fresh();
    await prepareModels(dir, [spec(MODEL_IDS.espeak)]);
    const tts = new EspeakTts({ models: new ModelLocator(dir, { packaged: false }) });
    let ms = 0;
    for await (const f of tts.synthesize({
      text: 'Hello there.',
      format: PCM16_8K,
      signal: new AbortController().signal,
    }))
      ms += (f.data.length / 2 / 8000) * 1000;
    assert.ok(ms > 300, `${ms} ms of audio`);
  });

  it('names the missing model when a provider needs one that is nowhere', async () => {
    const models = new ModelLocator(fresh(), { packaged: false });
    const asr = new SoundSwallowerAsr({ models });
    await assert.rejects(
      asr.connect({ format: MULAW_8K, language: 'en-US', phrases: [], signal: new AbortController().signal }),
      (e: unknown) =>
        isProviderError(e) &&
        e.kind === 'unavailable' &&
        !e.retryable &&
        /local:soundswallower cannot start: model asr\/soundswallower-en-us is missing/.test(e.message) &&
        /switchboard models import/.test(e.message),
    );
    const tts = new EspeakTts({ models });
    await assert.rejects(tts.prepare(new AbortController().signal), /model tts\/espeak-ng-voices is missing/);
  });

  it('readiness lists each missing model with who needs it', async () => {
    const dir = fresh();
    await prepareModels(dir, [spec(MODEL_IDS.silero)]);
    const models = new ModelLocator(dir, { packaged: false });
    const r = await modelReadiness(models, [
      { spec: spec(MODEL_IDS.soundswallower), neededBy: ['Demo receptionist'] },
      { spec: spec(MODEL_IDS.silero), neededBy: ['Demo receptionist'] },
    ]);
    assert.equal(r[1]?.located?.from, 'models-dir');
    assert.equal(
      missingModelsSummary(r),
      'missing models: asr/soundswallower-en-us (needed by Demo receptionist)',
    );
    assert.equal(missingModelsSummary(r.slice(1)), undefined);
  });
});
