import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { needBinaries } from '../sip/peers.js';

export { needBinaries };

/** Transcribes 16 kHz audio against a grammar of the expected phrases. */
export function transcribe16k(dir: string, wav: string, phrases: string[]): string {
  const gram = join(dir, 'expect16.gram');
  writeFileSync(
    gram,
    `#JSGF V1.0;\ngrammar expect;\npublic <utt> = ${phrases.map((p) => `( ${p.toLowerCase()} )`).join(' | ')};\n`,
  );
  const out = execFileSync('pocketsphinx_continuous', ['-infile', wav, '-jsgf', gram, '-logfn', '/dev/null']);
  return out
    .toString()
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' ');
}

export type { TestContext };
