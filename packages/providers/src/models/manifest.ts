import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';

/** The file in a models directory (or bundle) that records what it holds. */
export const MANIFEST_FILE = 'manifest.json';
const FORMAT = 'switchboard-models/1';

export interface ManifestFile {
  bytes: number;
  sha256: string;
}

export interface ManifestModel {
  /** Where the files were copied from ("npm package soundswallower (model/en-us)", "import of …"). */
  source: string;
  preparedAt: string;
  /** The bundle it was imported from, when it came with `switchboard models import`. */
  importedFrom?: string;
  /** By path relative to the model's directory. */
  files: Record<string, ManifestFile>;
}

export interface Manifest {
  format: typeof FORMAT;
  models: Record<string, ManifestModel>;
}

export const emptyManifest = (): Manifest => ({ format: FORMAT, models: {} });

/** The sha256 of a file, hex, streamed (the largest model files are tens of MB). */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

/** A file's size and checksum. */
export async function describeFile(path: string): Promise<ManifestFile> {
  const [s, sha256] = await Promise.all([stat(path), sha256File(path)]);
  return { bytes: s.size, sha256 };
}

/** The manifest of `dir`; an empty one when there is none. A malformed one is an error naming it. */
export async function readManifest(dir: string): Promise<Manifest> {
  const path = join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return emptyManifest();
    throw e;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`${path} is not valid JSON`);
  }
  const m = parsed as Partial<Manifest> | null;
  if (!m || m.format !== FORMAT || typeof m.models !== 'object' || m.models === null) {
    throw new Error(`${path} is not a models manifest (expected "format": "${FORMAT}")`);
  }
  for (const [id, model] of Object.entries(m.models)) {
    const files = (model as Partial<ManifestModel>)?.files;
    if (typeof files !== 'object' || files === null) throw new Error(`${path}: model ${id} lists no files`);
    for (const [name, f] of Object.entries(files)) {
      if (typeof f?.sha256 !== 'string' || typeof f.bytes !== 'number') {
        throw new Error(`${path}: ${id}/${name} has no sha256 and size`);
      }
    }
  }
  return m as Manifest;
}

/** Writes the manifest atomically: a reader sees the old one or the new one, never half. */
export async function writeManifest(dir: string, manifest: Manifest): Promise<void> {
  const path = join(dir, MANIFEST_FILE);
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(manifest, null, 2)}\n`);
  await rename(tmp, path);
}

/**
 * Relative paths inside a model directory or bundle: no absolute paths, no `..`, nothing a crafted
 * manifest or tarball could use to write outside the directory.
 */
export function safeRelative(path: string): boolean {
  if (!path || path.startsWith('/') || path.includes('\\') || path.includes('\0')) return false;
  return path.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..');
}

/**
 * Checks one model's files against a manifest entry: every file the catalogue needs is listed,
 * and every listed file is there with its size and (with `hash`) its sha256.
 */
export async function verifyEntry(
  dir: string,
  id: string,
  entry: ManifestModel,
  spec: { files: readonly string[] } | undefined,
  hash: boolean,
): Promise<string | undefined> {
  for (const f of spec?.files ?? []) {
    if (!entry.files[f]) return `${id}/${f} is not in the manifest`;
  }
  for (const [f, want] of Object.entries(entry.files)) {
    if (!safeRelative(f)) return `${id}/${f} is not a path inside the model`;
    const path = join(dir, id, f);
    const s = await stat(path).catch(() => undefined);
    if (!s?.isFile()) return `${id}/${f} is missing`;
    if (s.size !== want.bytes) return `${id}/${f} has ${s.size} bytes where the manifest says ${want.bytes}`;
    if (hash && (await sha256File(path)) !== want.sha256) return `${id}/${f} does not match its sha256`;
  }
  return undefined;
}
