import { access } from 'node:fs/promises';
import { APT_PACKAGES, aptInstallCommand, findBinary, type KnownBinary } from './util/binaries.js';

/** Where Debian's pocketsphinx-en-us puts the model the recogniser loads by default. */
export const POCKETSPHINX_MODEL_DIR = '/usr/share/pocketsphinx/model/en-us';
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

export interface LocalStackStatus {
  /** True when every local provider can run. */
  ready: boolean;
  components: LocalComponentStatus[];
  /** `apt-get install -y …` for whatever is missing; undefined when nothing is. */
  installCommand?: string;
}

const BINARIES: readonly { name: KnownBinary; usedBy: string }[] = [
  { name: 'pocketsphinx_continuous', usedBy: 'local:pocketsphinx (speech recognition)' },
  { name: 'flite', usedBy: 'local:flite (speech synthesis)' },
  { name: 'sox', usedBy: 'audio fixtures and tests' },
  { name: 'espeak-ng', usedBy: 'fixtures only; local:espeak runs in process without it' },
];

/**
 * Which system pieces the offline providers find on this machine, with the command that installs
 * the missing ones. local:espeak and local:answerer need nothing outside npm and are always
 * available, so they are not listed.
 */
export async function localStackStatus(): Promise<LocalStackStatus> {
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
  const model = await access(CMUDICT_PATH).then(
    () => true,
    () => false,
  );
  components.push({
    name: 'pocketsphinx en-us model',
    present: model,
    ...(model ? { path: POCKETSPHINX_MODEL_DIR } : {}),
    aptPackage: 'pocketsphinx-en-us',
    usedBy: 'local:pocketsphinx (speech recognition)',
  });
  const missing = components.filter((c) => !c.present);
  // sox and the espeak-ng CLI are conveniences; the providers run without them.
  const required = new Set(['pocketsphinx_continuous', 'flite', 'pocketsphinx en-us model']);
  return {
    ready: !missing.some((c) => required.has(c.name)),
    components,
    ...(missing.length > 0 ? { installCommand: aptInstallCommand(missing.map((c) => c.aptPackage)) } : {}),
  };
}
