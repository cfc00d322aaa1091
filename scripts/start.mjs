#!/usr/bin/env node
// The production start: runs the platform as compiled, bundled JavaScript. `npm start` on a fresh
// clone needs no separate build step: what is missing or older than its sources (or than
// package-lock.json) is compiled and bundled first (a few seconds), with a line saying so.
// `--conditions=switchboard-dist` (package.json passes it) makes the workspace packages resolve
// to their dist/ builds wherever they are imported outside the bundle.
// Only the version check is imported statically: an import an older Node.js cannot link (a
// newer built-in's export) would fail before the check could say what to install.
import './require-node.mjs';

const { enableCompileCache } = await import('node:module');
const { buildPackages, platformBundle, stalePackages } = await import('./build.mjs');

const stale = stalePackages();
if (stale.length > 0) {
  process.stdout.write(
    `Compiling ${stale.length} package${stale.length === 1 ? '' : 's'} to JavaScript (first start or changed sources)…\n`,
  );
  const ms = await buildPackages(stale);
  process.stdout.write(`Compiled in ${ms} ms.\n`);
}
// V8 keeps the compiled bundle in the OS temporary folder, so later starts skip compiling it.
enableCompileCache();
await import(platformBundle);
