// Builds the dashboard with esbuild (the bundler that already compiles the server) into
// packages/web/dist: index.html plus content-hashed, code-split ES modules and CSS under assets/.
// `npm start` (scripts/start.mjs), `npm run build` and the platform's own start (for
// `npm run start:dev` and tests) call ensureWeb(), which rebuilds only when a source is newer than
// the last build. Plain JavaScript so that it runs before anything is compiled.
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const here = fileURLToPath(new URL('.', import.meta.url));
const src = join(here, 'src');
/** Where the built dashboard lives; the platform serves it from here. */
export const webDist = join(here, 'dist');
const STAMP = '.built';

function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) walk(full, out);
    else out.push(full);
  }
  return out;
}

function newestSource() {
  let newest = Math.max(
    statSync(join(here, 'package.json')).mtimeMs,
    statSync(fileURLToPath(import.meta.url)).mtimeMs,
  );
  for (const f of walk(src)) if (!f.endsWith('.test.ts')) newest = Math.max(newest, statSync(f).mtimeMs);
  return newest;
}

/** True when dist/ is missing or older than a source file. */
export function webStale() {
  const stamp = join(webDist, STAMP);
  return !existsSync(stamp) || statSync(stamp).mtimeMs < newestSource();
}

const page = (script, style) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Switchboard</title>
<link rel="icon" href="data:,">
${style ? `<link rel="stylesheet" href="/assets/${style}">\n` : ''}<script type="module" src="/assets/${script}"></script>
</head>
<body>
<div id="root"></div>
<noscript>The Switchboard dashboard needs JavaScript.</noscript>
</body>
</html>
`;

/**
 * Bundles src/main.tsx with code splitting (one chunk per page) and writes dist/ whole: it builds
 * into a temporary folder and renames it into place, so two processes building at once never
 * serve a half-written dashboard. Returns the sizes measured: what the first page loads (entry
 * script, its static imports and the CSS), gzip-compressed.
 */
export async function buildWeb() {
  const { build } = await import('esbuild');
  const started = performance.now();
  const tmp = `${webDist}.tmp-${process.pid}-${Date.now()}`;
  const assets = join(tmp, 'assets');
  const result = await build({
    absWorkingDir: here,
    entryPoints: { app: join(src, 'main.tsx') },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022', 'chrome111', 'firefox115', 'safari16'],
    outdir: assets,
    entryNames: '[name]-[hash]',
    chunkNames: '[name]-[hash]',
    assetNames: '[name]-[hash]',
    jsx: 'automatic',
    minify: process.env.SWITCHBOARD_WEB_DEBUG !== '1',
    sourcemap: 'linked',
    metafile: true,
    legalComments: 'none',
    define: {
      'process.env.NODE_ENV': process.env.SWITCHBOARD_WEB_DEBUG === '1' ? '"development"' : '"production"',
    },
    logLevel: 'error',
  });
  const outputs = result.metafile.outputs;
  const entryKey = Object.keys(outputs).find((k) => outputs[k].entryPoint === 'src/main.tsx');
  if (!entryKey) throw new Error('esbuild produced no entry script');
  const entry = outputs[entryKey];
  const name = (k) => relative(assets, join(here, k));
  // What the first page needs: the entry, the chunks it imports statically, and its CSS.
  const firstPage = new Set([entryKey]);
  for (const k of firstPage) {
    for (const i of outputs[k].imports) if (i.kind === 'import-statement') firstPage.add(i.path);
  }
  if (entry.cssBundle) firstPage.add(entry.cssBundle);
  const gz = (k) => gzipSync(readFileSync(join(here, k))).length;
  const firstPageGzip = [...firstPage].reduce((n, k) => n + gz(k), 0);
  const script = name(entryKey);
  const style = entry.cssBundle ? name(entry.cssBundle) : undefined;
  writeFileSync(join(tmp, 'index.html'), page(script, style));
  const stats = {
    firstPageGzipBytes: firstPageGzip,
    firstPage: [...firstPage].map(name),
    chunks: Object.keys(outputs).filter((k) => k.endsWith('.js')).length,
  };
  writeFileSync(join(tmp, 'stats.json'), `${JSON.stringify(stats, null, 2)}\n`);
  writeFileSync(join(tmp, STAMP), `${new Date().toISOString()}\n`);
  rmSync(webDist, { recursive: true, force: true });
  try {
    renameSync(tmp, webDist);
  } catch {
    // Another process put its build in place first: the same sources, so keep that one.
    rmSync(tmp, { recursive: true, force: true });
  }
  return { ms: Math.round(performance.now() - started), ...stats };
}

/** Builds the dashboard when it is missing or stale; returns where it is. */
export async function ensureWeb() {
  if (webStale()) await buildWeb();
  return webDist;
}
