/**
 * Reads a V8 CPU profile (`node --cpu-prof`, as `platform-load --profile=DIR` writes for the
 * platform) and prints where the time went: self time per function and per file, as % of the
 * profile's samples (idle included, so "(idle)" is the headroom left).
 *   node --import tsx bench/platform-load/profile-summary.ts <file.cpuprofile> [top=30]
 */
import { readFileSync } from 'node:fs';
import { printTable } from '../stats.js';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

const [file = '', topArg = '30'] = process.argv.slice(2);
const top = Number(topArg);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfUs = new Map<number, number>();
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i] as number;
  selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
}
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
const shortUrl = (url: string) =>
  url
    .replace(/^file:\/\//, '')
    .replace(/.*\/node_modules\//, 'npm:')
    .replace(/.*\/packages\//, '');
const fnKey = (n: Node) =>
  `${n.callFrame.functionName || '(anonymous)'} ${shortUrl(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
const fileKey = (n: Node) => (n.callFrame.url ? shortUrl(n.callFrame.url) : n.callFrame.functionName);

function table(title: string, key: (n: Node) => string): void {
  const sums = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const n = byId.get(id);
    if (n) sums.set(key(n), (sums.get(key(n)) ?? 0) + us);
  }
  const rows = [...sums.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([k, us]) => ({ '%': (us / total) * 100, ms: Math.round(us / 1000), where: k }));
  printTable(title, rows);
}

process.stdout.write(`${file}: ${(total / 1e6).toFixed(1)} s profiled\n`);
table('Self time by function', fnKey);
table('Self time by file', fileKey);

// `callers=<function name>` as a third argument: whose calls that function's self time came from.
const callersOf = process.argv[4]?.replace(/^callers=/, '');
if (callersOf) {
  const parent = new Map<number, Node>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n);
  const sums = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const n = byId.get(id);
    if (!n || n.callFrame.functionName !== callersOf) continue;
    const chain: string[] = [];
    for (let p = parent.get(id); p && chain.length < 4; p = parent.get(p.id)) chain.push(fnKey(p));
    const k = chain.join(' < ');
    sums.set(k, (sums.get(k) ?? 0) + us);
  }
  printTable(
    `Callers of ${callersOf}`,
    [...sums.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, us]) => ({ '%': (us / total) * 100, where: k })),
  );
}
