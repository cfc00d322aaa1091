#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx: no build step between an edit and a run.
// Only the version check is imported statically (see scripts/start.mjs).
import '../scripts/require-node.mjs';

const { register } = await import('tsx/esm/api');
register();
await import('../packages/cli/src/main.ts');
