#!/usr/bin/env node
// Compiles every package's TypeScript to JavaScript in packages/<name>/dist (same layout as src),
// for the production start. esbuild only strips types (about a second for the whole tree); type
// checking stays with `npm run typecheck`, which CI runs. Files other than .ts under src (the
// talk page's HTML and scripts) are copied. The dashboard (packages/web) is a browser bundle
// instead: its own bundle.mjs builds it with the same esbuild, and it counts as one more package
// here, rebuilt when stale. Usage: node scripts/build.mjs [--if-stale] [--quiet]
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { build } from 'esbuild';
import { buildWeb, webStale } from '../packages/web/bundle.mjs';

const root = new URL('..', import.meta.url).pathname;
const packagesDir = join(root, 'packages');
const STAMP = 'dist/.built';
const args = new Set(process.argv.slice(2));

function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) walk(full, out);
    else out.push(full);
  }
  return out;
}

const webDir = join(packagesDir, 'web');
const packages = readdirSync(packagesDir)
  .map((name) => join(packagesDir, name))
  .filter((dir) => dir !== webDir && existsSync(join(dir, 'src')));

/** The newest source file's time, so a start after an edit (or a pull) rebuilds first. */
function newestSource(dir) {
  let newest = statSync(join(dir, 'package.json')).mtimeMs;
  for (const f of walk(join(dir, 'src'))) newest = Math.max(newest, statSync(f).mtimeMs);
  return newest;
}

export function stalePackages() {
  const stale = packages.filter((dir) => {
    const stamp = join(dir, STAMP);
    return !existsSync(stamp) || statSync(stamp).mtimeMs < newestSource(dir);
  });
  return webStale() ? [...stale, webDir] : stale;
}

export async function buildPackages(dirs, log = () => {}) {
  const started = performance.now();
  for (const dir of dirs) {
    if (dir === webDir) {
      const web = await buildWeb();
      log(
        `  bundled packages/web (${web.chunks} scripts; first page ${(web.firstPageGzipBytes / 1024).toFixed(1)} kB gzip)`,
      );
      continue;
    }
    const src = join(dir, 'src');
    const out = join(dir, 'dist');
    rmSync(out, { recursive: true, force: true });
    const files = walk(src);
    const entryPoints = files.filter(
      (f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.endsWith('.test.ts'),
    );
    await build({
      entryPoints,
      outdir: out,
      outbase: src,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      sourcemap: 'linked',
      logLevel: 'error',
    });
    for (const f of files.filter((f) => !f.endsWith('.ts'))) {
      const to = join(out, relative(src, f));
      mkdirSync(dirname(to), { recursive: true });
      copyFileSync(f, to);
    }
    writeFileSync(join(dir, STAMP), `${new Date().toISOString()}\n`);
    log(`  compiled ${relative(root, dir)} (${entryPoints.length} files)`);
  }
  return Math.round(performance.now() - started);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dirs = args.has('--if-stale') ? stalePackages() : [...packages, webDir];
  if (dirs.length === 0) process.exit(0);
  const log = args.has('--quiet') ? () => {} : (line) => process.stdout.write(`${line}\n`);
  log(`Compiling ${dirs.length} package${dirs.length === 1 ? '' : 's'} to JavaScript…`);
  const ms = await buildPackages(dirs, log);
  log(`Compiled in ${ms} ms.`);
}
