/**
 * A browser call in real headless Chromium with a fake microphone: the talk page connects, the
 * greeting plays, a spoken question gets the spoken answer, and the live transcript shows both.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Running, start } from '@switchboard/cli';
import { createLogger, loadConfig } from '@switchboard/core';
import { writeWavFile } from '@switchboard/media';
import { findBinary } from '@switchboard/providers';
import { type Browser, chromium } from 'playwright-core';
import { needBinaries, transcribe } from '../sip/peers.js';

/** Chromium on PATH, as a user has it (Debian's package puts it in /usr/bin). */
const CHROMIUM = findBinary('chromium') ?? '/usr/bin/chromium';
const HAS_CHROMIUM = findBinary('chromium') !== undefined;
const ANSWER = 'we are open every day from nine in the morning until ten at night';
const GREETING = 'hello thanks for calling switchboard how can i help you';

describe('the talk page in Chromium', () => {
  let platform: Running;
  let browser: Browser | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'sb-web-'));

  before(async () => {
    platform = await start(
      loadConfig({
        NODE_ENV: 'test',
        DATA_DIR: join(dir, 'data'),
        PORT: '0',
        SIP_ENABLED: 'false',
        INTERNAL_TOKEN: 'e2e-internal-token-0123456789',
      }),
      createLogger({ level: 'warn' }),
      { banner: false },
    );
  });
  after(async () => {
    await browser?.close();
    await platform?.stop();
  });

  test('greeting plays, a spoken question gets the spoken answer', async (t) => {
    if (!needBinaries(t, 'flite', 'sox', 'pocketsphinx_continuous')) return;
    if (!HAS_CHROMIUM) {
      if (process.env.CI) assert.fail(`${CHROMIUM} is missing: apt-get install chromium`);
      t.skip('needs Chromium: apt-get install -y chromium');
      return;
    }
    // The microphone: silence while the greeting plays, the question, then time for the answer.
    const raw = join(dir, 'q-raw.wav');
    const mic = join(dir, 'mic.wav');
    execFileSync('flite', ['-voice', 'slt', '-t', 'What are your opening hours?', '-o', raw]);
    execFileSync('sox', [raw, '-r', '16000', '-c', '1', '-b', '16', mic, 'pad', '6', '10']);

    const ws = await platform.store.accounts.firstWorkspace();
    const agent = (await platform.store.agents.list(ws!.id, { name: 'Demo receptionist' })).data[0]!;
    const { token } = platform.calls.tokens.mint(agent.id, ws!.id);

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--use-fake-ui-for-media-stream',
        '--use-fake-device-for-media-stream',
        `--use-file-for-fake-audio-capture=${mic}%noloop`,
        '--autoplay-policy=no-user-gesture-required',
      ],
    });
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${platform.url}/talk/${agent.id}?token=${encodeURIComponent(token)}&debug=1`);
    await page.click('#talk');
    await page.waitForFunction(
      () => {
        const talk = (globalThis as unknown as { __talk: { transcript: { role: string; text: string }[] } })
          .__talk;
        return talk.transcript.some((x) => x.role === 'agent' && /nine in the morning/i.test(x.text));
      },
      undefined,
      { timeout: 60_000 },
    );
    // Let the answer finish playing, then collect what the page played.
    await page.waitForTimeout(6000);
    const state = await page.evaluate(() => {
      const talk = (
        globalThis as unknown as {
          __talk: {
            transcript: unknown[];
            played: number[][];
            marks: number[];
            playedMs: number;
            errors: string[];
          };
        }
      ).__talk;
      // Audio after the caller's question: the reply alone.
      const from = talk.marks[0] ?? 0;
      return {
        transcript: talk.transcript,
        reply: talk.played.slice(from).flat(),
        playedMs: talk.playedMs,
        errors: talk.errors,
      };
    });
    assert.deepEqual(errors, []);
    assert.deepEqual(state.errors, []);
    const transcript = state.transcript as { role: string; text: string }[];
    assert.ok(
      transcript.some((x) => x.role === 'caller' && /opening hours/.test(x.text)),
      JSON.stringify(transcript),
    );
    assert.ok(state.playedMs > 4000, `played ${state.playedMs} ms`);
    const played = join(dir, 'played.wav');
    await writeWavFile(played, Int16Array.from(state.reply), 16000);
    const heard = transcribe(dir, played, [ANSWER, GREETING], { wideband: true });
    assert.match(heard, new RegExp(ANSWER), `the page played: "${heard}"`);
  });
});
