import { copyFile, mkdir, mkdtemp, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { type ModelSpec, modelSpec } from './catalogue.js';
import { ModelLocator } from './locator.js';
import {
  describeFile,
  MANIFEST_FILE,
  type Manifest,
  type ManifestModel,
  readManifest,
  sha256File,
  verifyEntry,
  writeManifest,
} from './manifest.js';
import { extractTar, type TarEntry, writeTar } from './tar.js';

/** What the models directory holds of one model. */
export interface ModelCheck {
  id: string;
  state: 'present' | 'missing' | 'corrupt';
  /** What is wrong, naming the file: "asr/…/mdef does not match its sha256". */
  problem?: string;
  /** Total size of the model's files as recorded (0 when missing). */
  bytes: number;
  /** Where the copy came from (present), or where prepare would take it from. */
  source: string;
}

const sourceText = (m: ManifestModel) =>
  m.importedFrom ? `${m.source}, imported from ${m.importedFrom}` : m.source;
const total = (m: ManifestModel) => Object.values(m.files).reduce((n, f) => n + f.bytes, 0);

/** present / missing / corrupt for each of `specs` in `modelsDir`, verifying every checksum. */
export async function checkModels(
  modelsDir: string,
  specs: readonly ModelSpec[],
  opts: { hash?: boolean } = {},
): Promise<ModelCheck[]> {
  const manifest = await readManifest(modelsDir);
  const out: ModelCheck[] = [];
  for (const spec of specs) {
    const entry = manifest.models[spec.id];
    if (!entry) {
      out.push({ id: spec.id, state: 'missing', bytes: 0, source: spec.source.label });
      continue;
    }
    const problem = await verifyEntry(modelsDir, spec.id, entry, spec, opts.hash ?? true);
    out.push({
      id: spec.id,
      state: problem ? 'corrupt' : 'present',
      ...(problem ? { problem } : {}),
      bytes: total(entry),
      source: sourceText(entry),
    });
  }
  return out;
}

export interface PrepareResult {
  id: string;
  /** `copied` from its source, `present` already (verified, kept), or `missing` (no source here). */
  state: 'copied' | 'present' | 'missing';
  bytes: number;
  source: string;
  /** Why a model could not be prepared. */
  problem?: string;
}

/**
 * Copies each of `specs` from its source into `modelsDir/<id>/`, records sizes and checksums in
 * the manifest and verifies the copies. A model already there and intact is kept as it is (it may
 * be a custom model someone imported), so running it again changes nothing.
 */
export async function prepareModels(
  modelsDir: string,
  specs: readonly ModelSpec[],
): Promise<PrepareResult[]> {
  await mkdir(modelsDir, { recursive: true });
  const manifest = await readManifest(modelsDir);
  const results: PrepareResult[] = [];
  for (const spec of specs) {
    const entry = manifest.models[spec.id];
    if (entry && !(await verifyEntry(modelsDir, spec.id, entry, spec, true))) {
      results.push({ id: spec.id, state: 'present', bytes: total(entry), source: sourceText(entry) });
      continue;
    }
    const from = await new ModelLocator().locate(spec.id);
    if (!from) {
      results.push({
        id: spec.id,
        state: 'missing',
        bytes: 0,
        source: spec.source.label,
        problem: new ModelLocator(modelsDir).missingText(spec.id),
      });
      continue;
    }
    const files: ManifestModel['files'] = {};
    for (const f of spec.files) {
      const src = join(from.dir, f);
      const want = await describeFile(src);
      const dest = join(modelsDir, spec.id, f);
      await mkdir(dirname(dest), { recursive: true });
      const tmp = `${dest}.${process.pid}.tmp`;
      await copyFile(src, tmp);
      const got = await sha256File(tmp);
      if (got !== want.sha256) {
        await rm(tmp, { force: true });
        throw new Error(
          `copying ${src} gave a different checksum: the source changed during the copy, or the disk is failing`,
        );
      }
      await rename(tmp, dest);
      files[f] = want;
    }
    manifest.models[spec.id] = { source: from.label, preparedAt: new Date().toISOString(), files };
    // Written after each model: an interrupted prepare keeps what it finished.
    await writeManifest(modelsDir, manifest);
    results.push({
      id: spec.id,
      state: 'copied',
      bytes: total(manifest.models[spec.id]!),
      source: from.label,
    });
  }
  return results;
}

/**
 * Writes the intact models of `modelsDir` (all, or `ids`) to a tar archive (gzipped when the name
 * ends in .gz or .tgz) that `importModels` takes on another machine. Refuses when a model to export
 * is corrupt or missing.
 */
export async function exportModels(
  modelsDir: string,
  file: string,
  ids?: readonly string[],
): Promise<{ id: string; bytes: number }[]> {
  const manifest = await readManifest(modelsDir);
  const chosen = ids ?? Object.keys(manifest.models).sort();
  if (chosen.length === 0)
    throw new Error(`${modelsDir} holds no prepared models; run \`switchboard models prepare\` first`);
  const out: Manifest = { format: manifest.format, models: {} };
  const entries: TarEntry[] = [];
  for (const id of chosen) {
    const entry = manifest.models[id];
    if (!entry)
      throw new Error(`model ${id} is not in ${modelsDir}; run \`switchboard models prepare\` first`);
    const problem = await verifyEntry(modelsDir, id, entry, modelSpec(id), true);
    if (problem)
      throw new Error(`model ${id} is corrupt (${problem}); run \`switchboard models prepare\` to repair it`);
    out.models[id] = entry;
    for (const [f, d] of Object.entries(entry.files)) {
      entries.push({ name: `${id}/${f}`, path: join(modelsDir, id, f), size: d.bytes });
    }
  }
  const staging = await mkdtemp(join(modelsDir, '.export-'));
  try {
    await writeManifest(staging, out);
    const m = join(staging, MANIFEST_FILE);
    entries.unshift({ name: MANIFEST_FILE, path: m, size: (await stat(m)).size });
    await writeTar(file, entries, /\.(gz|tgz)$/i.test(file));
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return chosen.map((id) => ({ id, bytes: total(out.models[id]!) }));
}

export interface ImportResult {
  id: string;
  state: 'imported' | 'skipped';
  bytes: number;
  /** Why a model was skipped (one this build does not use). */
  note?: string;
}

/** The bundle's root: `dir`, or its one subdirectory when the manifest sits there (`tar czf x models/`). */
async function bundleRoot(dir: string): Promise<string | undefined> {
  if (await stat(join(dir, MANIFEST_FILE)).catch(() => undefined)) return dir;
  const subs = (await readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory());
  if (subs.length === 1 && (await stat(join(dir, subs[0]!.name, MANIFEST_FILE)).catch(() => undefined))) {
    return join(dir, subs[0]!.name);
  }
  return undefined;
}

/**
 * Installs the models of a bundle (a directory, or a tar / tar.gz made by `exportModels`) into
 * `modelsDir`. Every file of every model is verified against the bundle's manifest before anything
 * is installed, and a corrupt or partial bundle is refused with the file that is wrong.
 * Models this build does not know are skipped.
 */
export async function importModels(modelsDir: string, from: string): Promise<ImportResult[]> {
  const s = await stat(from).catch(() => undefined);
  if (!s) throw new Error(`${from} does not exist`);
  await mkdir(modelsDir, { recursive: true });
  // Extracted next to its destination, so installing is a rename on the same file system.
  const staging = s.isDirectory() ? undefined : await mkdtemp(join(modelsDir, '.import-'));
  try {
    if (staging) {
      await extractTar(from, staging).catch((e: unknown) => {
        throw new Error(
          `${from} is not a readable models bundle: ${e instanceof Error ? e.message : String(e)}`,
        );
      });
    }
    const root = await bundleRoot(staging ?? from);
    if (!root) throw new Error(`${from} has no ${MANIFEST_FILE}: not a models bundle`);
    const bundle = await readManifest(root);
    const results: ImportResult[] = [];
    const install: string[] = [];
    for (const [id, entry] of Object.entries(bundle.models)) {
      const spec = modelSpec(id);
      if (!spec) {
        results.push({ id, state: 'skipped', bytes: total(entry), note: 'not a model this version uses' });
        continue;
      }
      const problem = await verifyEntry(root, id, entry, spec, true);
      if (problem) throw new Error(`the bundle is corrupt or partial: ${problem}; nothing was imported`);
      install.push(id);
      results.push({ id, state: 'imported', bytes: total(entry) });
    }
    if (install.length === 0)
      throw new Error(`${from} holds no model this version uses; nothing was imported`);
    const manifest = await readManifest(modelsDir);
    for (const id of install) {
      const entry = bundle.models[id] as ManifestModel;
      const dest = join(modelsDir, id);
      const next = `${dest}.${process.pid}.new`;
      await rm(next, { recursive: true, force: true });
      if (staging) {
        await mkdir(dirname(next), { recursive: true });
        await rename(join(root, id), next);
      } else {
        for (const f of Object.keys(entry.files)) {
          await mkdir(dirname(join(next, f)), { recursive: true });
          await copyFile(join(root, id, f), join(next, f));
        }
      }
      await rm(dest, { recursive: true, force: true });
      await rename(next, dest);
      manifest.models[id] = { ...entry, importedFrom: from, preparedAt: new Date().toISOString() };
      await writeManifest(modelsDir, manifest);
    }
    return results;
  } finally {
    if (staging) await rm(staging, { recursive: true, force: true });
  }
}
