/**
 * Reads a V8 heap snapshot (`platform-load --heap=DIR` writes them for the platform) and prints
 * what holds the memory: self size and count per constructor (objects) or kind (strings, code,
 * arrays). Comparing a snapshot taken with N calls live against one taken after they ended shows
 * the per-call objects and anything that outlived its call.
 *   node --import tsx bench/platform-load/heap-summary.ts <file.heapsnapshot> [top=30]
 */
import { readFileSync } from 'node:fs';
import { printTable } from '../stats.js';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
  strings: string[];
}

const [file = '', topArg = '30'] = process.argv.slice(2);
const snap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
const fields = snap.snapshot.meta.node_fields;
const types = snap.snapshot.meta.node_types[0];
const width = fields.length;
const TYPE = fields.indexOf('type');
const NAME = fields.indexOf('name');
const SIZE = fields.indexOf('self_size');
const sums = new Map<string, { bytes: number; count: number }>();
let total = 0;
for (let i = 0; i < snap.nodes.length; i += width) {
  const type = types[snap.nodes[i + TYPE] as number] ?? '?';
  const name = snap.strings[snap.nodes[i + NAME] as number] ?? '?';
  const key = type === 'object' || type === 'closure' ? `${name} (${type})` : `(${type})`;
  const size = snap.nodes[i + SIZE] as number;
  total += size;
  const s = sums.get(key) ?? { bytes: 0, count: 0 };
  s.bytes += size;
  s.count++;
  sums.set(key, s);
}
process.stdout.write(`${file}: ${(total / 1048576).toFixed(1)} MB in ${snap.nodes.length / width} nodes\n`);
printTable(
  'Self size by constructor',
  [...sums.entries()]
    .sort((a, b) => b[1].bytes - a[1].bytes)
    .slice(0, Number(topArg))
    .map(([k, v]) => ({ MB: v.bytes / 1048576, count: v.count, what: k })),
);
