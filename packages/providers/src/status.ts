import { MODEL_IDS, POCKETSPHINX_MODEL_DIR } from './models/catalogue.js';
import { type ModelLocator, packagedModels } from './models/locator.js';
import { APT_PACKAGES, aptInstallCommand, findBinary, type KnownBinary } from './util/binaries.js';

export { POCKETSPHINX_MODEL_DIR };
export const CMUDICT_PATH = `${POCKETSPHINX_MODEL_DIR}/cmudict-en-us.dict`;

export interface LocalComponentStatus {
  name: string;
  present: boolean;
  /** Absolute path of the binary or file when present. */
  path?: string;
  /** Debian package(s) that provide it. */
  aptPackage: string;
  /** What the component is for, for the start-up banner. */
  usedBy: string;
}

/** The recogniser the offline stack uses, for the start-up banner and `/health/ready`. */
export interface SpeechRecognitionStatus {
  /** `local:soundswallower` (installed with npm) or `local:pocketsphinx` (Debian's). */
  provider?: 'local:soundswallower' | 'local:pocketsphinx';
  /** "built-in (soundswallower)", "system pocketsphinx" or "none". */
  label: string;
  ready: boolean;
}

export interface LocalStackStatus {
  /** True when the offline demo stack can take a voice call (it has a speech recogniser). */
  ready: boolean;
  speechRecognition: SpeechRecognitionStatus;
  /** One line: "speech recognition: built-in (soundswallower)". */
  summary: string;
  /** The system pieces of the optional local providers (local:pocketsphinx, local:flite). */
  components: LocalComponentStatus[];
  /** `apt-get install -y …` for whichever optional system pieces are missing; undefined when none is. */
  installCommand?: string;
}

const BINARIES: readonly { name: KnownBinary; usedBy: string }[] = [
  { name: 'pocketsphinx_continuous', usedBy: 'local:pocketsphinx (speech recognition)' },
  { name: 'flite', usedBy: 'local:flite (speech synthesis)' },
  { name: 'sox', usedBy: 'audio fixtures and tests' },
  { name: 'espeak-ng', usedBy: 'fixtures only; local:espeak runs in process without it' },
];

/**
 * Which recogniser the offline stack uses and which system pieces the optional local providers
 * find on this machine, with the command that installs the missing ones. The built-in recogniser
 * (local:soundswallower), local:espeak and local:answerer need nothing outside npm, so the demo
 * takes voice calls on a machine with only Node; pocketsphinx and flite are extras.
 */
export async function localStackStatus(models: ModelLocator = packagedModels): Promise<LocalStackStatus> {
  const components: LocalComponentStatus[] = BINARIES.map(({ name, usedBy }) => {
    const path = findBinary(name);
    return {
      name,
      present: path !== undefined,
      ...(path ? { path } : {}),
      aptPackage: APT_PACKAGES[name],
      usedBy,
    };
  });
  const located = await models.locate(MODEL_IDS.pocketsphinx);
  const model = located !== undefined;
  components.push({
    name: 'pocketsphinx en-us model',
    present: model,
    ...(located ? { path: located.dir } : {}),
    aptPackage: 'pocketsphinx-en-us',
    usedBy: 'local:pocketsphinx (speech recognition)',
  });
  const missing = components.filter((c) => !c.present);
  const systemRecogniser = findBinary('pocketsphinx_continuous') !== undefined && model;
  const speechRecognition: SpeechRecognitionStatus = (await models.locate(MODEL_IDS.soundswallower))
    ? { provider: 'local:soundswallower', label: 'built-in (soundswallower)', ready: true }
    : systemRecogniser
      ? { provider: 'local:pocketsphinx', label: 'system pocketsphinx', ready: true }
      : { label: 'none', ready: false };
  return {
    ready: speechRecognition.ready,
    speechRecognition,
    summary: `speech recognition: ${speechRecognition.label}`,
    components,
    ...(missing.length > 0 ? { installCommand: aptInstallCommand(missing.map((c) => c.aptPackage)) } : {}),
  };
}
