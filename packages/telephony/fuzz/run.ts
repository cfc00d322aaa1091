/**
 * Longer fuzzing session than the unit tests run: feeds each target random bytes, mutated corpus
 * seeds and valid generated messages, and saves any input that crashes a parser (throws something
 * other than its typed error or breaks an invariant) into fuzz/corpus/<target>/crash-<sha1>.hex,
 * where the corpus replay test picks it up as a regression test.
 *
 *   node --import tsx packages/telephony/fuzz/run.ts [iterations=10000] [target ...]
 *   node --import tsx packages/telephony/fuzz/run.ts --seconds=10 [target ...]   (per target; CI)
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import fc from 'fast-check';
import { sessionDescription, sipMessage } from '../src/fuzz/arbitraries.js';
import { decodeCorpusFile, FUZZ_TARGETS, type FuzzTarget, runTarget } from '../src/fuzz/targets.js';
import { serializeSipMessage } from '../src/sip/message.js';
import { serializeSdp } from '../src/sip/sdp.js';

const corpusDir = new URL('./corpus/', import.meta.url);
const args = process.argv.slice(2);
const secondsArg = args.find((a) => a.startsWith('--seconds='));
/** A time budget per target instead of a count: CI fuzzes for a bounded time on every run. */
const budgetMs = secondsArg ? Number(secondsArg.slice('--seconds='.length)) * 1000 : undefined;
const positional = args.filter((a) => !a.startsWith('--'));
const iterations = budgetMs === undefined ? Number(positional.shift() ?? 10000) : 1000;
const only = positional;

function seeds(target: FuzzTarget): Buffer[] {
  const dir = new URL(`${target.name}/`, corpusDir);
  return readdirSync(dir).map((f) => decodeCorpusFile(f, readFileSync(new URL(f, dir))));
}

/** Byte edits: overwrite, insert, delete and splice of a seed, a few at a time. */
function mutated(seed: Buffer): fc.Arbitrary<Buffer> {
  const edit = fc.tuple(
    fc.constantFrom('set', 'insert', 'delete', 'dup'),
    fc.nat(),
    fc.integer({ min: 0, max: 255 }),
  );
  return fc.array(edit, { minLength: 1, maxLength: 10 }).map((edits) => {
    let b = Buffer.from(seed);
    for (const [op, at, byte] of edits) {
      const i = b.length === 0 ? 0 : at % b.length;
      if (op === 'set' && b.length > 0) b[i] = byte;
      else if (op === 'insert') b = Buffer.concat([b.subarray(0, i), Buffer.from([byte]), b.subarray(i)]);
      else if (op === 'delete') b = Buffer.concat([b.subarray(0, i), b.subarray(i + 1)]);
      else b = Buffer.concat([b.subarray(0, i), b.subarray(i, i + (byte % 64)), b.subarray(i)]);
    }
    return b;
  });
}

function inputs(target: FuzzTarget): fc.Arbitrary<Buffer> {
  const arbs: fc.Arbitrary<Buffer>[] = [fc.uint8Array({ maxLength: 1500 }).map((b) => Buffer.from(b))];
  for (const seed of seeds(target)) arbs.push(mutated(seed));
  if (target.name === 'sip' || target.name === 'sip-stream') {
    arbs.push(sipMessage.map((m) => serializeSipMessage(m)));
    arbs.push(sipMessage.chain((m) => mutated(serializeSipMessage(m))));
  }
  if (target.name === 'sdp')
    arbs.push(sessionDescription.chain((sd) => mutated(Buffer.from(serializeSdp(sd)))));
  return fc.oneof(...arbs);
}

function save(target: FuzzTarget, input: Buffer): string {
  const dir = new URL(`${target.name}/`, corpusDir);
  mkdirSync(dir, { recursive: true });
  const name = `crash-${createHash('sha1').update(input).digest('hex').slice(0, 16)}.hex`;
  const body = input.toString('hex').replace(/(.{64})/g, '$1\n');
  writeFileSync(new URL(name, dir), `# saved by fuzz/run.ts\n${body}\n`);
  return name;
}

let crashes = 0;
for (const target of FUZZ_TARGETS) {
  if (only.length > 0 && !only.includes(target.name)) continue;
  const started = Date.now();
  const found = new Set<string>();
  const arbitrary = inputs(target);
  let count = 0;
  do {
    // fc.sample rather than fc.assert: keep going after a crash and save every distinct one.
    for (const input of fc.sample(arbitrary, iterations)) {
      count++;
      const crash = runTarget(target, input);
      if (crash === undefined) continue;
      const name = save(target, input);
      if (!found.has(name)) console.error(`${target.name}: ${name}: ${String(crash)}`);
      found.add(name);
    }
  } while (budgetMs !== undefined && Date.now() - started < budgetMs);
  crashes += found.size;
  console.log(`${target.name}: ${count} inputs, ${found.size} crashes, ${Date.now() - started} ms`);
}
process.exitCode = crashes > 0 ? 1 : 0;
