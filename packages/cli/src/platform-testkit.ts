/**
 * Scaffolding for this package's full-platform tests: the whole platform started on a temporary
 * data directory, polling until something holds, a carrier stream fed silence until the agent has
 * spoken, a call row read until it ends. Tests import it relatively; the package index does not.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { type CallEvent, createLogger, loadConfig } from '@switchboard/core';
import type { ModelLocator } from '@switchboard/providers';
import { TEST_OUTBOUND_ALLOWED_HOSTS } from '@switchboard/server/testing';
import type { Call } from '@switchboard/store';
import { ScriptedTwilio } from '@switchboard/telephony';
import { type OutboundOptions, type Running, start } from './start.js';

const PUBLIC_URL = 'https://voice.example.com';

/**
 * Polls `check` every 25 ms until it returns something other than undefined or false, and
 * resolves with that; rejects after `ms` naming `what`.
 */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  ms = 20_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export interface TestPlatform {
  platform: Running;
  /** `http://127.0.0.1:<port>`: where a scripted carrier reaches the platform. */
  appUrl: string;
  /** The platform's PUBLIC_URL, which carrier webhooks are signed for. */
  publicUrl: string;
  /** The workspace the platform seeds, and its demo agent. */
  workspaceId: string;
  demoAgentId: string;
  /** Every call event the platform has published, in order. */
  events: CallEvent[];
  /** Reads the call row until it has ended, and resolves with it. */
  endedCall(callId: string, ms?: number): Promise<Call>;
  /** A scripted Twilio account that calls this platform. */
  scriptedTwilio(accountSid: string, authToken: string): ScriptedTwilio;
  /** Stops the platform and removes its data directory. */
  close(): Promise<void>;
}

/**
 * Starts the whole platform as `switchboard start` would, on a fresh temporary data directory,
 * an ephemeral port and without SIP; `env` adds to or overrides those settings.
 */
export async function startTestPlatform(
  env: Record<string, string> = {},
  options: {
    outbound?: OutboundOptions;
    logLevel?: 'warn' | 'error' | 'debug';
    /** Receives every log line the platform writes (raw JSON), at `logLevel`. */
    logs?: string[];
    /** Where the local models load from (see `start`). */
    models?: ModelLocator;
  } = {},
): Promise<TestPlatform> {
  const dir = mkdtempSync(join(tmpdir(), 'sb-platform-'));
  let platform: Running | undefined;
  const close = async () => {
    try {
      await platform?.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  try {
    platform = await start(
      loadConfig({
        NODE_ENV: 'test',
        DATA_DIR: join(dir, 'data'),
        PORT: '0',
        PUBLIC_URL,
        SIP_ENABLED: 'false',
        INTERNAL_TOKEN: 'platform-internal-token-0123456789',
        // Tests aim providers, webhooks and config URLs at fakes on loopback: allowed explicitly,
        // as an operator would; `env` may close it again.
        OUTBOUND_ALLOWED_HOSTS: TEST_OUTBOUND_ALLOWED_HOSTS,
        ...env,
      }),
      createLogger({
        level: options.logLevel ?? 'error',
        ...(options.logs ? { destination: lineSink(options.logs) } : {}),
      }),
      {
        banner: false,
        outbound: options.outbound,
        ...(options.models ? { models: options.models } : {}),
      },
    );
    const events: CallEvent[] = [];
    platform.calls.bus.subscribe((e) => {
      events.push(e);
    });
    const { store } = platform;
    const ws = await store.accounts.firstWorkspace();
    if (!ws) throw new Error('no workspace');
    const demo = (await store.agents.list(ws.id, { name: 'Demo receptionist' })).data[0];
    if (!demo) throw new Error('no demo agent');
    const appUrl = `http://127.0.0.1:${(platform.app.server.address() as { port: number }).port}`;
    return {
      platform,
      appUrl,
      publicUrl: PUBLIC_URL,
      workspaceId: ws.id,
      demoAgentId: demo.id,
      events,
      endedCall: (callId, ms) =>
        waitFor(
          'the call row to end',
          async () => {
            const c = await store.calls.get(ws.id, callId);
            return c.status === 'ended' ? c : undefined;
          },
          ms,
        ),
      scriptedTwilio: (accountSid, authToken) =>
        new ScriptedTwilio({ appUrl, publicUrl: PUBLIC_URL, accountSid, authToken }),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * The carrier end of a media stream, as the scripted carriers have it: `sendMedia` sends audio;
 * the app's audio is counted by `mediaReceived()` (Twilio, Plivo) or its `media` events (Telnyx).
 */
export type ScriptedMediaStream = { sendMedia(audio: Uint8Array): void } & (
  | { mediaReceived(): readonly unknown[] }
  | { events(event: string): readonly unknown[] }
);

/** 20 ms of μ-law silence. */
const SILENCE = new Uint8Array(160).fill(0xff);

/** Sends 20 ms of μ-law silence every 20 ms until `frames` media frames have come back. */
export async function feedSilenceUntil(stream: ScriptedMediaStream, frames: number, ms?: number) {
  const count = () =>
    'mediaReceived' in stream ? stream.mediaReceived().length : stream.events('media').length;
  const feeder = setInterval(() => stream.sendMedia(SILENCE), 20);
  try {
    await waitFor(`${frames} media frames from the agent`, () => count() >= frames, ms);
  } finally {
    clearInterval(feeder);
  }
}

/** A log destination that keeps each line. */
function lineSink(lines: string[]): Writable {
  return new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
}
