import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ProviderError } from '@switchboard/engine';
import { type ModelSpec, modelSpec } from './catalogue.js';
import { MANIFEST_FILE, readManifest, verifyEntry } from './manifest.js';

export interface LocatedModel {
  id: string;
  /** The directory to load the model's files from. */
  dir: string;
  /** `models-dir`: the prepared or imported copy; `source`: the npm package or system files. */
  from: 'models-dir' | 'source';
  /** For logs and `models list`: the models directory, or the source's label. */
  label: string;
}

/** True when every file is there. */
async function filesPresent(dir: string, files: readonly string[]) {
  for (const f of files) {
    const s = await stat(join(dir, f)).catch(() => undefined);
    if (!s?.isFile()) return false;
  }
  return true;
}

/**
 * Finds where each local model loads from: the models directory (`MODELS_DIR`, by default
 * `DATA_DIR/models`) when the manifest lists the model and its files are there at their recorded
 * checksums, otherwise the packaged source (npm package, system files). A found model is
 * remembered, so the checks (a few tens of MB hashed) run once per process, at start-up when
 * readiness asks, never per call; a missing model is looked for again by the next call (an import
 * may have brought it meanwhile).
 */
export class ModelLocator {
  readonly modelsDir: string | undefined;
  readonly #found = new Map<string, Promise<LocatedModel | undefined>>();
  /** Copies found corrupt, with the manifest's mtime then: not hashed again until it changes. */
  readonly #corrupt = new Map<string, number>();

  readonly #packaged: boolean;

  /**
   * `packaged: false` looks in the models directory only, as on an image whose npm packages were
   * pruned of their models (tests).
   */
  constructor(modelsDir?: string, opts: { packaged?: boolean } = {}) {
    this.modelsDir = modelsDir;
    this.#packaged = opts.packaged ?? true;
  }

  locate(id: string): Promise<LocatedModel | undefined> {
    let found = this.#found.get(id);
    if (!found) {
      found = this.#locate(id);
      this.#found.set(id, found);
      found.then(
        (m) => (m ? undefined : this.#found.delete(id)),
        () => this.#found.delete(id),
      );
    }
    return found;
  }

  /** The model's directory, or a non-retryable ProviderError that names the missing model. */
  async require(id: string, provider: string): Promise<LocatedModel> {
    const m = await this.locate(id);
    if (m) return m;
    throw new ProviderError('unavailable', `${provider} cannot start: ${this.missingText(id)}`, {
      provider,
      retryable: false,
    });
  }

  /** "model asr/… is missing (not in …); run …", for errors, logs and readiness. */
  missingText(id: string): string {
    const spec = modelSpec(id);
    const where = [
      this.modelsDir ? `not in ${this.modelsDir}` : undefined,
      spec ? `not in its source, the ${spec.source.label}` : undefined,
    ].filter(Boolean);
    return `model ${id} is missing (${where.join(', ')}); ${this.fixText(id)}`;
  }

  /** How to bring model `id`: an import, or the system package and a prepare. */
  fixText(id: string): string {
    const install = modelSpec(id)?.source.install;
    return [
      'run `switchboard models import <bundle>` (a bundle made by `switchboard models export` on a machine that has it)',
      install ? `\`${install}\` then \`switchboard models prepare\`` : undefined,
    ]
      .filter(Boolean)
      .join(', or ');
  }

  async #locate(id: string): Promise<LocatedModel | undefined> {
    const spec = modelSpec(id);
    if (!spec) return undefined;
    if (this.modelsDir) {
      const local = await this.#fromModelsDir(this.modelsDir, spec);
      if (local) return local;
    }
    const dir = this.#packaged ? spec.source.dir() : undefined;
    if (dir && (await filesPresent(dir, spec.files))) {
      return { id, dir, from: 'source', label: spec.source.label };
    }
    return undefined;
  }

  async #fromModelsDir(modelsDir: string, spec: ModelSpec): Promise<LocatedModel | undefined> {
    const mtime = (await stat(join(modelsDir, MANIFEST_FILE)).catch(() => undefined))?.mtimeMs;
    if (mtime === undefined || this.#corrupt.get(spec.id) === mtime) return undefined;
    // A malformed manifest is reported by `models list`; loading falls back to the source.
    const manifest = await readManifest(modelsDir).catch(() => undefined);
    const entry = manifest?.models[spec.id];
    if (!entry) return undefined;
    // A copy that no longer matches its checksums is not loaded; the packaged source serves.
    if (await verifyEntry(modelsDir, spec.id, entry, spec, true)) {
      this.#corrupt.set(spec.id, mtime);
      return undefined;
    }
    return { id: spec.id, dir: join(modelsDir, spec.id), from: 'models-dir', label: modelsDir };
  }
}

/** Without a models directory: the packaged sources only (tests, and providers built directly). */
export const packagedModels = new ModelLocator();
