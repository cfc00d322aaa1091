#!/usr/bin/env node
// Runs every *.test.ts with node's own test runner (through tsx), in two phases: unit and
// integration tests under packages/ two files at a time, then the real-peer tests under e2e/ one
// file at a time (they drive sipp, baresip, Chromium and pocketsphinx in real time and must not
// compete for the CPU). Node 20 has no glob support in `--test`, so the files are listed here.
// Usage: npm test [-- path-filter ...]
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2);

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const full = join(dir, name);
    if (statSync(full).isDirectory()) walk(full, out);
    else if (name.endsWith('.test.ts')) out.push(relative(root, full));
  }
  return out;
}

const find = (d) => {
  try {
    return walk(join(root, d), [])
      .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
      .sort();
  } catch {
    return [];
  }
};

const phases = [
  { name: 'packages', files: find('packages'), concurrency: process.env.TEST_CONCURRENCY ?? '2' },
  { name: 'e2e', files: find('e2e'), concurrency: '1' },
].filter((p) => p.files.length > 0);

if (phases.length === 0) {
  console.error('no test files matched', filters);
  process.exit(1);
}

function run(phase) {
  const args = [
    '--import',
    'tsx',
    '--test',
    `--test-concurrency=${phase.concurrency}`,
    '--test-timeout=300000',
  ];
  if (process.env.TEST_REPORTER) args.push(`--test-reporter=${process.env.TEST_REPORTER}`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...args, ...phase.files], {
      stdio: ['ignore', 'pipe', 'inherit'],
      cwd: root,
    });
    let tail = '';
    child.stdout.on('data', (d) => {
      process.stdout.write(d);
      tail = (tail + d).slice(-4000);
    });
    child.on('exit', (code, signal) => {
      const count = (label) => Number(new RegExp(`^# ${label} (\\d+)$`, 'm').exec(tail)?.[1] ?? 0);
      resolve({
        code: signal ? 1 : (code ?? 1),
        pass: count('pass'),
        fail: count('fail'),
        skipped: count('skipped'),
      });
    });
  });
}

let failed = false;
const totals = { pass: 0, fail: 0, skipped: 0 };
for (const phase of phases) {
  const r = await run(phase);
  totals.pass += r.pass;
  totals.fail += r.fail;
  totals.skipped += r.skipped;
  if (r.code !== 0) failed = true;
}
console.log(`\nAll: ${totals.pass} passed, ${totals.fail} failed, ${totals.skipped} skipped`);
process.exit(failed ? 1 : 0);
