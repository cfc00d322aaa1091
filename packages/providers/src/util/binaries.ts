import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { ProviderError } from '@switchboard/engine';

/** Debian packages that provide each system binary the local providers run. */
export const APT_PACKAGES = {
  pocketsphinx_continuous: 'pocketsphinx pocketsphinx-en-us',
  flite: 'flite',
  sox: 'sox',
  'espeak-ng': 'espeak-ng',
  stdbuf: 'coreutils',
} as const;
export type KnownBinary = keyof typeof APT_PACKAGES;

/** The absolute path of an executable on PATH, or undefined. Checked on every call: cheap, and
 * an operator may install a package while the server runs. */
export function findBinary(name: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const full = join(dir, name);
    try {
      accessSync(full, constants.X_OK);
      return full;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

export const aptInstallCommand = (packages: readonly string[]): string =>
  `apt-get install -y ${[...new Set(packages.flatMap((p) => p.split(' ')))].join(' ')}`;

/** The path of `name`, or a non-retryable ProviderError naming the package to install. */
export function requireBinary(name: KnownBinary, provider: string): string {
  const found = findBinary(name);
  if (found) return found;
  const pkg = APT_PACKAGES[name];
  throw new ProviderError(
    'unavailable',
    `${provider} needs the system binary ${name}, which is not installed: run \`${aptInstallCommand([pkg])}\``,
    { provider, retryable: false },
  );
}
