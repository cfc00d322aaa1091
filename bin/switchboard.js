#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx: no build step between an edit and a run.
import '../scripts/require-node.mjs';
import { register } from 'tsx/esm/api';

register();
await import('../packages/cli/src/main.ts');
