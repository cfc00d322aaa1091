#!/usr/bin/env node
// The production start: runs the platform as compiled JavaScript. `npm start` on a fresh clone
// needs no separate build step: what is missing or older than its sources is compiled first
// (about a second), with a line saying so. Run with `--conditions=switchboard-dist` so the
// workspace packages resolve to their dist/ builds (package.json does).
import './require-node.mjs';
import { buildPackages, stalePackages } from './build.mjs';

const stale = stalePackages();
if (stale.length > 0) {
  process.stdout.write(
    `Compiling ${stale.length} package${stale.length === 1 ? '' : 's'} to JavaScript (first start or changed sources)…\n`,
  );
  const ms = await buildPackages(stale);
  process.stdout.write(`Compiled in ${ms} ms.\n`);
}
await import('../packages/cli/dist/main.js');
