#!/usr/bin/env node
// Runs every *.test.ts with node's own test runner (through tsx), in two phases: unit and
// integration tests under packages/ (and the benchmarks' own tests under bench/, the deployment checks under deploy/) two files at a time, then the real-peer tests under e2e/ one
// file at a time (they drive sipp, baresip, Chromium and pocketsphinx in real time and must not
// compete for the CPU). The files are listed here, not globbed by `--test`, so each phase sets its own concurrency.
// Usage: npm test [-- path-filter ...]
// Only the version check is imported statically (see scripts/start.mjs).
import './require-node.mjs';

const { spawn } = await import('node:child_process');
const { readdirSync, statSync } = await import('node:fs');
const { join, relative } = await import('node:path');

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
  {
    name: 'packages',
    files: [...find('packages'), ...find('bench'), ...find('deploy')],
    concurrency: process.env.TEST_CONCURRENCY ?? '2',
  },
  { name: 'e2e', files: find('e2e'), concurrency: '1' },
].filter((p) => p.files.length > 0);

if (phases.length === 0) {
  console.error('no test files matched', filters);
  process.exit(1);
}

/** A skipped test or suite in the TAP stream: `ok 3 - name # SKIP reason`. */
const SKIP_LINE = /^\s*ok \d+ - (.+?) # SKIP\b\s*(.*)$/;

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
    let partial = '';
    const skips = [];
    child.stdout.on('data', (d) => {
      process.stdout.write(d);
      tail = (tail + d).slice(-4000);
      const lines = (partial + d).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        const m = SKIP_LINE.exec(line);
        if (m) skips.push({ name: m[1], reason: m[2] || 'no reason given' });
      }
    });
    child.on('exit', (code, signal) => {
      const count = (label) => Number(new RegExp(`^# ${label} (\\d+)$`, 'm').exec(tail)?.[1] ?? 0);
      resolve({
        code: signal ? 1 : (code ?? 1),
        pass: count('pass'),
        fail: count('fail'),
        skipped: count('skipped'),
        skips,
      });
    });
  });
}

let failed = false;
const totals = { pass: 0, fail: 0, skipped: 0 };
const skips = [];
for (const phase of phases) {
  const r = await run(phase);
  totals.pass += r.pass;
  totals.fail += r.fail;
  totals.skipped += r.skipped;
  skips.push(...r.skips);
  if (r.code !== 0) failed = true;
}

// Suites that run against a real server only when one is configured: say so, never silently.
const notRun = [];
if (!process.env.DATABASE_URL && !process.env.TEST_DATABASE_URL) {
  notRun.push(
    'the PostgreSQL variants of the store, dialer, events and cross-process suites ' +
      '(needs PostgreSQL: set DATABASE_URL=postgres://user@127.0.0.1:5432/db)',
  );
}

const byReason = new Map();
for (const s of skips) byReason.set(s.reason, [...(byReason.get(s.reason) ?? []), s.name]);
if (byReason.size > 0 || notRun.length > 0) {
  console.log('\nSkipped, and why:');
  for (const [reason, names] of byReason) {
    const shown = names.slice(0, 3).join('; ');
    console.log(`  - ${reason}: ${names.length} (${shown}${names.length > 3 ? '; …' : ''})`);
  }
  for (const what of notRun) console.log(`  - not run: ${what}`);
}
// CI (and anyone who sets TEST_STRICT=1) must run everything: a skip there is a broken machine.
const strict = process.env.TEST_STRICT === '1' || process.env.CI === 'true';
if (strict && (skips.length > 0 || notRun.length > 0)) {
  console.log('\nTEST_STRICT/CI is set, so every skip above is a failure: install what it names.');
  failed = true;
}
// The runner's own count leaves out skipped suites; the TAP lines have them all.
const skippedCount = Math.max(totals.skipped, skips.length);
console.log(`\nAll: ${totals.pass} passed, ${totals.fail} failed, ${skippedCount} skipped`);
process.exit(failed ? 1 : 0);
