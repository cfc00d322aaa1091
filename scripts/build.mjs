#!/usr/bin/env node
// Compiles every package's TypeScript to JavaScript in packages/<name>/dist (same layout as src),
// for the production start. esbuild only strips types (about a second for the whole tree); type
// checking stays with `npm run typecheck`, which CI runs. Files other than .ts under src (the
// talk page's HTML and scripts) are copied. The dashboard (packages/web) is a browser bundle
// instead: its own bundle.mjs builds it with the same esbuild, and it counts as one more package
// here, rebuilt when stale. Last, the compiled platform and every dependency it loads at start are
// bundled into packages/cli/dist/bundle/platform.mjs, which `npm start` runs: resolving and reading
// some 1,900 module files one at a time was half of the start-up time.
// Usage: node scripts/build.mjs [--if-stale] [--quiet]
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
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
const cliDir = join(packagesDir, 'cli');
const bundleDir = join(cliDir, 'dist', 'bundle');
/** What `npm start` runs (scripts/start.mjs). */
export const platformBundle = join(bundleDir, 'platform.mjs');
const BUNDLE_STAMP = join(bundleDir, '.built');
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
  // The bundle holds the dependencies' code too: other versions in package-lock.json make it
  // stale. Compared by content, since `npm prune` rewrites the file unchanged.
  const bundleStale =
    !existsSync(BUNDLE_STAMP) || readFileSync(BUNDLE_STAMP, 'utf8').trim() !== lockfileHash();
  if (bundleStale && !stale.includes(cliDir)) stale.push(cliDir);
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
  if (dirs.some((dir) => dir !== webDir)) {
    const inputs = await bundlePlatform();
    log(`  bundled the platform (${inputs} modules) into ${relative(root, platformBundle)}`);
  }
  return Math.round(performance.now() - started);
}

/**
 * Every module the compiled platform imports, ours and the dependencies', in one ES module (plus
 * chunks for what is imported lazily, such as the PDF and Word readers), so a start reads a few
 * files instead of resolving each import through node_modules. Modules that find files next to
 * themselves (`import.meta.url`, `__dirname`: migrations, WASM, models, static assets) are given
 * their original location, so those files are read where they were installed. Native addons and
 * esbuild (which runs its own binary) stay outside.
 */
async function bundlePlatform() {
  rmSync(bundleDir, { recursive: true, force: true });
  const originalLocation = {
    name: 'original-location',
    setup(b) {
      b.onLoad({ filter: /\.(m?js|cjs)$/ }, (args) => {
        const text = readFileSync(args.path, 'utf8');
        if (!/\bimport\.meta\.url\b|\b__dirname\b|\b__filename\b/.test(text)) return undefined;
        const at = JSON.stringify(relative(bundleDir, args.path));
        return {
          // No `import.meta` in what is prepended: it would turn a CommonJS module into an ES one.
          contents: `var __sb_file = __sb_at(${at}), __sb_dir = __sb_dirname(__sb_file), __sb_url = __sb_pathToFileURL(__sb_file).href;\n${text
            .replace(/\bimport\.meta\.url\b/g, '__sb_url')
            .replace(/\b__dirname\b/g, '__sb_dir')
            .replace(/\b__filename\b/g, '__sb_file')}`,
          loader: 'js',
          resolveDir: dirname(args.path),
        };
      });
    },
  };
  const result = await build({
    entryPoints: { platform: join(cliDir, 'dist', 'main.js') },
    outdir: bundleDir,
    bundle: true,
    splitting: true,
    chunkNames: 'chunk-[hash]',
    outExtension: { '.js': '.mjs' },
    format: 'esm',
    platform: 'node',
    target: 'node22',
    conditions: ['switchboard-dist'],
    external: ['esbuild', '*.node', 'onnxruntime-node'],
    plugins: [originalLocation],
    banner: {
      js: [
        "import { createRequire as __sb_createRequire } from 'node:module';",
        "import { dirname as __sb_dirname } from 'node:path';",
        "import { fileURLToPath as __sb_fileURLToPath, pathToFileURL as __sb_pathToFileURL } from 'node:url';",
        // CommonJS dependencies call require() for Node's own modules.
        'const require = __sb_createRequire(import.meta.url);',
        'const __sb_at = (path) => __sb_fileURLToPath(new URL(path, import.meta.url));',
      ].join('\n'),
    },
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'error',
  });
  writeFileSync(BUNDLE_STAMP, `${lockfileHash()}\n`);
  return Object.keys(result.metafile.inputs).length;
}

function lockfileHash() {
  return `package-lock.json sha256 ${createHash('sha256')
    .update(readFileSync(join(root, 'package-lock.json')))
    .digest('hex')}`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dirs = args.has('--if-stale') ? stalePackages() : [...packages, webDir];
  if (dirs.length === 0) process.exit(0);
  const log = args.has('--quiet') ? () => {} : (line) => process.stdout.write(`${line}\n`);
  log(`Compiling ${dirs.length} package${dirs.length === 1 ? '' : 's'} to JavaScript…`);
  const ms = await buildPackages(dirs, log);
  log(`Compiled in ${ms} ms.`);
}
