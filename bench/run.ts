/**
 * Runs every benchmark in this folder (or those whose name contains an argument), one after
 * another so they do not disturb each other's numbers.  `npm run bench [-- resolver media]`
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const filters = process.argv.slice(2);
const skip = new Set(['run.ts', 'stats.ts']);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && !skip.has(f) && !f.endsWith('.test.ts'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
let failed = 0;
for (const f of files) {
  process.stdout.write(`\n### ${f}\n`);
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', `${dir}${f}`], {
    stdio: 'inherit',
  });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
