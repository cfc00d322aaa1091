import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';

/** The platform's version, as `switchboard --version` prints it. */
export const VERSION: string = (
  JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/**
 * Reads `.env` from the working directory into the environment, leaving variables already set
 * alone, so every command (`start`, `chat`, `doctor`…) sees the same settings as `npm start`.
 * Returns the file's path when there was one.
 */
export function loadDotEnv(cwd = process.cwd(), env: NodeJS.ProcessEnv = process.env): string | undefined {
  const path = join(cwd, '.env');
  if (!existsSync(path)) return undefined;
  for (const [k, v] of Object.entries(parseEnv(readFileSync(path, 'utf8')))) {
    if (env[k] === undefined) env[k] = v;
  }
  return path;
}

/**
 * Where the running platform answers, as `npm start` with the same environment would listen:
 * `--url`, else SWITCHBOARD_URL, else PUBLIC_URL, else http://HOST:PORT (a wildcard host is
 * reached on loopback).
 */
export function platformUrl(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const host = !env.HOST || env.HOST === '0.0.0.0' || env.HOST === '::' ? '127.0.0.1' : env.HOST;
  const url = explicit ?? env.SWITCHBOARD_URL ?? env.PUBLIC_URL ?? `http://${host}:${env.PORT || 3000}`;
  return url.replace(/\/$/, '');
}

/** A fetch whose network failure says what to do, instead of "fetch failed". */
export async function reachPlatform(url: string, init: RequestInit, doFetch: typeof fetch = fetch) {
  try {
    return await doFetch(url, init);
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    const origin = new URL(url).origin;
    throw new Error(
      `cannot reach Switchboard at ${origin} (${cause?.code ?? cause?.message ?? (e as Error).message}). ` +
        'Is it running (npm start)? Otherwise pass --url, or set SWITCHBOARD_URL or PUBLIC_URL.',
    );
  }
}
