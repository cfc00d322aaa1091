/**
 * Runs every benchmark in this folder (or those whose name contains an argument), one after
 * another so they do not disturb each other's numbers. A benchmark is a .ts file here or a folder
 * with a main.ts (bench/platform-load). Arguments starting with `--` go to every benchmark run.
 *   npm run bench [-- resolver media]        npm run bench -- platform-load --n=50 --seconds=5
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const args = process.argv.slice(2);
const filters = args.filter((a) => !a.startsWith('--'));
const options = args.filter((a) => a.startsWith('--'));
const skip = new Set(['run.ts', 'stats.ts']);
const entries = readdirSync(dir, { withFileTypes: true })
  .flatMap((e) => {
    if (e.isDirectory()) return existsSync(`${dir}${e.name}/main.ts`) ? [[e.name, `${e.name}/main.ts`]] : [];
    return e.name.endsWith('.ts') && !skip.has(e.name) && !e.name.endsWith('.test.ts')
      ? [[e.name, e.name]]
      : [];
  })
  .filter(([name]) => filters.length === 0 || filters.some((x) => (name as string).includes(x)))
  .sort(([a], [b]) => (a as string).localeCompare(b as string));
let failed = 0;
for (const [name, file] of entries) {
  process.stdout.write(`\n### ${name}\n`);
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', `${dir}${file}`, ...options], {
    stdio: 'inherit',
  });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
