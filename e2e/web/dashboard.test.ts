/**
 * The dashboard in real headless Chromium against a started platform (`switchboard start` in its
 * own process): first-run owner setup with the printed token, logging out and in, a provider with
 * its Test button, an agent edited with a validation error shown next to its field, published,
 * compared and rolled back, the text test chat, a browser call from the agent's page whose call
 * page then shows the transcript, waveform and latency waterfall, a webhook's dead letter
 * replayed, a knowledge base searched hybrid once its embeddings' progress is full, a campaign
 * CSV with a bad row, a viewer who sees no edit controls, and a 375 px phone-sized screen. Every
 * page visited is saved as a screenshot under test-artifacts/dashboard/ (gitignored); a console
 * error in the page fails the test.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fakeEmbeddingsServer, findBinary } from '@switchboard/providers';
import { FakeRestServer } from '@switchboard/telephony';
import { type Browser, chromium, type Page } from 'playwright-core';
import { freeTcpPort, type SpawnedPlatform, spawnPlatform, until } from '../platform/spawned-platform.js';
import { needBinaries } from '../sip/peers.js';

/** Chromium on PATH, as a user has it (Debian's package puts it in /usr/bin). */
const CHROMIUM = findBinary('chromium') ?? '/usr/bin/chromium';
const HAS_CHROMIUM = findBinary('chromium') !== undefined;
const ROOT = new URL('../..', import.meta.url).pathname;
const ART = join(ROOT, 'test-artifacts', 'dashboard');
const OWNER = { email: 'owner@bayviewdental.com', password: 'correct horse battery staple' };
const VIEWER = { email: 'viewer@bayviewdental.com', password: 'a viewer password 42' };
/** The Twilio account the local Twilio REST API knows. */
const TWILIO = { sid: 'AC5d1e9c4b7a3f2e6d8c0b1a29384756ab', token: 'b2c4d6e8f0a1b3c5d7e9f1a3b5c7d9e1' };
/** Chromium logs every 4xx answer to fetch as a console error; the API's expected refusals are not page errors. */
const HTTP_STATUS_LOG = /^Failed to load resource: the server responded with a status of 4\d\d/;

describe('the dashboard in Chromium', {
  skip: !HAS_CHROMIUM && !process.env.CI && 'needs Chromium: apt-get install -y chromium',
}, () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-dash-'));
  const cleanups: (() => void)[] = [];
  let platform: SpawnedPlatform;
  let browser: Browser;
  let page: Page;
  let shots = 0;
  const errors: string[] = [];
  let hookAnswer = 410;
  const hookHits: number[] = [];
  let hook: http.Server;
  let hookPort = 0;
  let twilioApi: FakeRestServer;

  const shot = async (name: string) => {
    await page.screenshot({
      path: join(ART, `${String(++shots).padStart(2, '0')}-${name}.png`),
      fullPage: true,
    });
  };
  const go = async (path: string, name: string, ready: string) => {
    await page.goto(`${platform.url}${path}`);
    await page.getByRole('heading', { name: ready, exact: true }).waitFor();
    await shot(name);
  };
  const noConsoleErrors = () => assert.deepEqual(errors.splice(0), [], 'console errors in the page');
  const field = (label: string) =>
    page
      .locator('.field')
      .filter({ has: page.getByLabel(label, { exact: true }) })
      .locator('.field-errors');

  before(async () => {
    assert.ok(HAS_CHROMIUM, `${CHROMIUM} is missing: apt-get install chromium`);
    rmSync(ART, { recursive: true, force: true });
    mkdirSync(ART, { recursive: true });
    hook = http.createServer((req, res) => {
      req.resume();
      hookHits.push(hookAnswer);
      res.writeHead(hookAnswer).end();
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    hookPort = (hook.address() as { port: number }).port;
    twilioApi = await FakeRestServer.start();
    twilioApi.accounts = { twilio: { [TWILIO.sid]: { authToken: TWILIO.token } } };
    cleanups.push(() => void twilioApi.close());
    const port = await freeTcpPort();
    platform = await spawnPlatform(
      {
        PORT: String(port),
        PUBLIC_URL: `http://127.0.0.1:${port}`,
        DATA_DIR: join(dir, 'data'),
        TWILIO_API_URL: twilioApi.url,
      },
      (fn) => cleanups.push(fn),
    );
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--use-fake-ui-for-media-stream',
        '--use-fake-device-for-media-stream',
        '--autoplay-policy=no-user-gesture-required',
      ],
    });
  });
  after(async () => {
    await browser?.close();
    for (const c of cleanups) c();
    await new Promise((r) => hook?.close(r));
  });

  const newPage = async (width = 1280, height = 900) => {
    await page?.close();
    page = await browser.newPage({ viewport: { width, height } });
    page.on('console', (m) => {
      if (m.type() === 'error' && !HTTP_STATUS_LOG.test(m.text())) errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('dialog', (d) => void d.accept());
  };

  test('first start: the printed link creates the owner, and a bookmarked page survives a reload', async () => {
    const token = /\/\?token=([A-Za-z0-9_%-]+)/.exec(platform.output())?.[1];
    assert.ok(token, `the banner prints a setup link:\n${platform.output()}`);
    await newPage();
    await page.goto(`${platform.url}/?token=${token}`);
    await page.getByRole('heading', { name: 'Create the owner account' }).waitFor();
    assert.equal(await page.getByLabel('Setup token').inputValue(), decodeURIComponent(token));
    await shot('setup');
    await page.getByLabel('Email').fill(OWNER.email);
    await page.getByLabel('Password').fill('too short');
    await page.getByRole('button', { name: 'Create owner and log in' }).click();
    await field('Password').filter({ hasText: '12' }).waitFor();
    await page.getByLabel('Password').fill(OWNER.password);
    await page.getByLabel('Workspace name (optional)').fill('Bayview Dental');
    await page.getByRole('button', { name: 'Create owner and log in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await page.getByRole('heading', { name: 'Calls, last 24 hours' }).waitFor();
    await shot('overview');
    await page.getByRole('link', { name: 'Agents' }).click();
    await page.getByRole('link', { name: 'Demo receptionist' }).waitFor();
    await page.reload();
    await page.getByRole('link', { name: 'Demo receptionist' }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/agents');
    assert.equal(await page.getByRole('combobox', { name: 'Workspace' }).inputValue().then(Boolean), true);
    await shot('agents');
    // An API path the dashboard does not own is still a JSON 404.
    const r = await platform.get('/v1/no-such-thing');
    assert.equal(r.status, 404);
    noConsoleErrors();
  });

  test('log out, log in again, and switch to a new workspace and back', async () => {
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('heading', { name: 'Log in to Switchboard' }).waitFor();
    await page.getByLabel('Email').fill(OWNER.email);
    await page.getByLabel('Password').fill('wrong password!');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').filter({ hasText: 'email or password is wrong' }).waitFor();
    await shot('login-refused');
    await page.getByLabel('Password').fill(OWNER.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    // A second workspace: created from the switcher, which moves the session there and back.
    const switcher = page.getByRole('combobox', { name: 'Workspace' });
    const home = await switcher.inputValue();
    await page.getByRole('button', { name: 'New workspace' }).click();
    await page.getByLabel('New workspace name').fill('Oakland clinic');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await until('the session moved to the new workspace', async () => (await switcher.inputValue()) !== home);
    await go('/agents', 'agents-new-workspace', 'Agents');
    assert.equal(await page.getByRole('link', { name: 'Demo receptionist' }).count(), 0);
    await switcher.selectOption(home);
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await go('/agents', 'agents-home-workspace', 'Agents');
    await page.getByRole('link', { name: 'Demo receptionist' }).waitFor();
    noConsoleErrors();
  });

  test('a credential is masked, and a provider Test names the precise failure', async () => {
    await go('/providers', 'providers', 'Providers and credentials');
    await page.getByText('Add a credential').click();
    await page.getByLabel('Credential name').fill('Local LLM key');
    await page.getByLabel('Secret', { exact: true }).fill('sk-local-0123456789abcd');
    await page.getByLabel('Allowed hosts').fill('127.0.0.1:9');
    await page.getByRole('button', { name: 'Create credential' }).click();
    await page.getByRole('cell', { name: '••••abcd' }).waitFor();
    assert.equal(await page.getByText('sk-local-0123456789abcd').count(), 0, 'the secret is never shown');

    await page.getByText('Add a provider').click();
    await page.getByLabel('Provider name').fill('Local LLM');
    await page.getByLabel('Kind').selectOption('llm');
    await page.getByLabel('Type').selectOption('openai-compatible');
    await page.getByLabel('Credential', { exact: true }).selectOption({ label: 'Local LLM key (••••abcd)' });
    await page.getByLabel('Settings (JSON)').fill('{"baseUrl":"http://127.0.0.1:9/v1"}');
    await page.getByRole('button', { name: 'Create provider' }).click();
    // The API's message for the missing model shows next to the settings.
    await field('Settings (JSON)').filter({ hasText: 'model' }).waitFor();
    await shot('provider-validation');
    await page.getByLabel('Settings (JSON)').fill('{"baseUrl":"http://127.0.0.1:9/v1","model":"test-model"}');
    await page.getByRole('button', { name: 'Create provider' }).click();
    await page.getByRole('cell', { name: 'Local LLM', exact: true }).waitFor();
    await page.getByRole('button', { name: 'Test Local LLM' }).click();
    const result = page.getByRole('status').filter({ hasText: 'unreachable' });
    await result.waitFor({ timeout: 30_000 });
    await shot('provider-test');
    noConsoleErrors();
  });

  test('a carrier account the carrier refuses is not saved, the form says why, and Test asks again', async () => {
    await go('/providers', 'carrier-credential', 'Providers and credentials');
    await page.getByText('Add a credential').click();
    await page.getByLabel('Credential name').fill(`twilio:${TWILIO.sid}`);
    await page.getByLabel('Secret', { exact: true }).fill('a-mistyped-auth-token');
    await page.getByLabel('Allowed hosts').fill('');
    await page.getByRole('button', { name: 'Create credential' }).click();
    await page
      .getByRole('alert')
      .filter({ hasText: `twilio: account ${TWILIO.sid} rejected the auth token (HTTP 401)` })
      .waitFor();
    await shot('carrier-credential-refused');
    assert.equal(
      await page.getByRole('cell', { name: `twilio:${TWILIO.sid}`, exact: true }).count(),
      0,
      'nothing was saved',
    );
    await page.getByLabel('Secret', { exact: true }).fill(TWILIO.token);
    await page.getByRole('button', { name: 'Create credential' }).click();
    await page.getByRole('cell', { name: `twilio:${TWILIO.sid}`, exact: true }).waitFor();
    await page.getByRole('button', { name: `Test credential twilio:${TWILIO.sid}` }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `account ${TWILIO.sid} accepted the auth token` })
      .waitFor();
    await shot('carrier-credential-test');
    noConsoleErrors();
  });

  test('an agent: a validation error beside its field, publish, compare versions, roll back', async () => {
    await go('/agents', 'agents-list', 'Agents');
    await page.getByLabel('New agent name').fill('Front desk');
    await page.getByRole('button', { name: 'Create agent' }).click();
    await page.getByRole('heading', { name: 'Front desk' }).waitFor();
    await page.getByText('Draft, never published').waitFor();
    await page.getByLabel('Greeting').fill('Hello from version one.');
    await page.getByLabel('Language', { exact: true }).fill('english');
    await page.getByLabel('End-of-turn silence (ms)').fill('50');
    await page.getByRole('button', { name: 'Save draft' }).click();
    await field('Language').filter({ hasText: 'BCP 47' }).waitFor();
    await field('End-of-turn silence (ms)').filter({ hasText: '100' }).waitFor();
    assert.equal(await field('Greeting').count(), 0, 'no error beside a valid field');
    assert.equal(await page.getByLabel('Language', { exact: true }).getAttribute('aria-invalid'), 'true');
    await shot('agent-validation');
    await page.getByLabel('Language', { exact: true }).fill('en-US');
    await page.getByLabel('End-of-turn silence (ms)').fill('800');
    await page.getByRole('button', { name: 'Save draft' }).click();
    await page.getByText('Draft saved').waitFor();
    await page.getByRole('button', { name: 'Publish', exact: true }).click();
    await page.getByText('Published version 1').waitFor();
    await page.getByText('v1 published', { exact: true }).waitFor();
    await page.getByLabel('Greeting').fill('Hello from version two.');
    await page.getByLabel('Publish note (optional)').fill('Second greeting');
    await page.getByRole('button', { name: 'Publish', exact: true }).click();
    await page.getByText('Published version 2').waitFor();
    await shot('agent-editor');

    await page.getByRole('tab', { name: 'Versions' }).click();
    const diff = page.getByRole('region', { name: 'Differences' });
    await diff.locator('.del', { hasText: 'Hello from version one.' }).waitFor();
    await diff.locator('.add', { hasText: 'Hello from version two.' }).waitFor();
    await shot('agent-versions-diff');
    await page.getByRole('button', { name: 'Roll back to v1' }).click();
    await page.getByText('version 3 is a copy of version 1').waitFor();
    await page.getByRole('cell', { name: 'copy of v1' }).waitFor();
    await page.getByRole('tab', { name: 'Editor' }).click();
    assert.equal(await page.getByLabel('Greeting').inputValue(), 'Hello from version one.');
    await page.getByText('v3 published', { exact: true }).waitFor();
    await shot('agent-rolled-back');
    // A reload of the agent's address comes back to the same agent.
    await page.reload();
    await page.getByRole('heading', { name: 'Front desk' }).waitFor();
    noConsoleErrors();
  });

  test('a phone number and a webhook whose receiver refuses the first delivery', async () => {
    await go('/numbers', 'numbers', 'Phone numbers');
    await page.getByLabel('Number', { exact: true }).fill('+14155550123');
    await page.getByLabel('Connector').selectOption('sip');
    await page.getByRole('button', { name: 'Add number' }).click();
    await page.getByRole('cell', { name: '+14155550123', exact: true }).waitFor();

    await go('/webhooks', 'webhooks', 'Webhooks');
    await page.getByText('Add a webhook').click();
    await page.getByLabel('Webhook URL').fill(`http://127.0.0.1:${hookPort}/hook`);
    await page.getByRole('button', { name: 'Create webhook' }).click();
    await page.getByTestId('secret-value').waitFor();
    assert.match((await page.getByTestId('secret-value').textContent()) ?? '', /\S{16,}/);
    await shot('webhook-created');
    noConsoleErrors();
  });

  test('a knowledge base: a document, hybrid search from an embeddings endpoint with its progress, a paraphrase found', async () => {
    const fake = await fakeEmbeddingsServer({
      dims: 64,
      synonyms: { vehicle: 'car', garage: 'car', cost: 'free' },
    });
    try {
      // The endpoint's provider, as the providers page makes it (the session's own API).
      const created = await page.evaluate(async (baseUrl) => {
        const r = await fetch('/v1/providers', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            name: 'Embeddings server',
            kind: 'llm',
            type: 'openai-compatible',
            settings: { baseUrl, model: 'chat' },
          }),
        });
        return r.status;
      }, fake.baseUrl);
      assert.equal(created, 201);
      await go('/knowledge-bases', 'knowledge-bases', 'Knowledge bases');
      await page.getByLabel('Name', { exact: true }).fill('Clinic handbook');
      await page.getByRole('button', { name: 'Create knowledge base' }).click();
      await page.getByRole('heading', { name: 'Clinic handbook' }).waitFor();
      await page.getByText('Full-text only.', { exact: false }).waitFor();
      await page.getByLabel('Upload a document (.txt, .md, .html, .pdf, .docx)').setInputFiles({
        name: 'parking.md',
        mimeType: 'text/markdown',
        buffer: Buffer.from(
          '# Parking\nPatients park for free in the garage behind the building.\n\n# Hours\nWe open at nine.\n',
        ),
      });
      await page.getByRole('cell', { name: 'parking.md', exact: true }).waitFor();
      await page.getByLabel('Embeddings provider').selectOption({ label: 'Embeddings server' });
      await page.getByLabel('Embeddings model').fill('concepts');
      await page.getByRole('button', { name: 'Turn on hybrid search' }).click();
      await page.getByText(/^(\d+) of \1 passages embedded$/).waitFor();
      await page.getByText('concepts', { exact: true }).waitFor();
      await shot('knowledge-base-embedded');
      await page.getByLabel('Question').fill('somewhere to put my vehicle at no cost');
      await page.getByRole('button', { name: 'Search', exact: true }).click();
      await page.getByText('Results (hybrid: full-text and vectors)').waitFor();
      await page.getByRole('cell', { name: /garage behind the building/ }).waitFor();
      await shot('knowledge-base-search');

      // A clinic's web site, crawled once from the page: the page and the one it links to.
      const site = http.createServer((req, res) => {
        const body: Record<string, string> = {
          '/': '<h1>Bayview Dental</h1><a href="/insurance">Insurance</a>',
          '/insurance': '<h2>Insurance</h2><p>We accept every major dental plan.</p>',
        };
        const page = body[req.url ?? ''];
        if (page) res.writeHead(200, { 'content-type': 'text/html' }).end(page);
        else res.writeHead(404).end();
      });
      await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
      try {
        const siteUrl = `http://127.0.0.1:${(site.address() as { port: number }).port}`;
        await page.getByLabel('Crawl web pages (one URL per line)').fill(`${siteUrl}/`);
        await page.getByRole('button', { name: 'Crawl', exact: true }).click();
        await page.getByText('Crawl: 2 indexed, 0 failed, 0 skipped').waitFor();
        await page
          .getByRole('cell', { name: `${siteUrl}/insurance`, exact: true })
          .first()
          .waitFor();
        await shot('knowledge-base-crawled');
      } finally {
        await new Promise<void>((r) => site.close(() => r()));
      }
      noConsoleErrors();
    } finally {
      await fake.close();
    }
  });

  test('text chat and a browser call from the agent page; the call page shows what was said', async (t) => {
    if (!needBinaries(t, 'flite', 'sox')) return;
    // The microphone: silence while the greeting plays, the question, then time for the answer.
    const raw = join(dir, 'q-raw.wav');
    const mic = join(dir, 'mic.wav');
    execFileSync('flite', ['-voice', 'slt', '-t', 'What are your opening hours?', '-o', raw]);
    execFileSync('sox', [raw, '-r', '16000', '-c', '1', '-b', '16', mic, 'pad', '6', '10']);
    // A browser whose fake microphone plays that file.
    const micBrowser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        '--use-fake-ui-for-media-stream',
        '--use-fake-device-for-media-stream',
        `--use-file-for-fake-audio-capture=${mic}%noloop`,
        '--autoplay-policy=no-user-gesture-required',
      ],
    });
    const ctx = await micBrowser.newContext({ viewport: { width: 1280, height: 900 } });
    await ctx.addCookies(await page.context().cookies());
    const owner = page;
    page = await ctx.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error' && !HTTP_STATUS_LOG.test(m.text())) errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    try {
      await go('/agents', 'agents-for-talk', 'Agents');
      await page.getByRole('link', { name: 'Demo receptionist' }).click();
      await page.getByRole('heading', { name: 'Demo receptionist' }).waitFor();
      await page.getByRole('tab', { name: 'Test' }).click();
      await page.getByLabel('Message', { exact: true }).fill('What are your opening hours?');
      await page.getByRole('button', { name: 'Send' }).click();
      await page
        .getByTestId('chat-log')
        .filter({ hasText: 'nine in the morning' })
        .waitFor({ timeout: 30_000 });
      await shot('agent-test-chat');

      await page.getByRole('button', { name: 'Talk', exact: true }).click();
      const call = page.frameLocator('iframe[title^="Browser call"]');
      await call.locator('#talk').click();
      await call
        .locator('#transcript')
        .filter({ hasText: /nine in the morning/i })
        .waitFor({ timeout: 60_000 });
      await page.waitForTimeout(6000);
      await shot('agent-talk');

      // Meanwhile the owner, in another tab, follows the call live and hangs it up.
      const talking = page;
      page = owner;
      await go('/live', 'live-before', 'Live calls');
      const liveRow = page.getByRole('row').filter({ hasText: 'inbound' }).first();
      await liveRow.waitFor({ timeout: 15_000 });
      await liveRow.getByRole('button', { name: /^Follow/ }).click();
      const followed = page.getByRole('region', { name: 'Followed call' });
      // What was said before following is replayed, then the stream goes on.
      await followed.filter({ hasText: /nine in the morning/i }).waitFor({ timeout: 15_000 });
      await liveRow.getByRole('button', { name: /^Hang up/ }).click();
      await followed.filter({ hasText: /ended: .*api-hangup/ }).waitFor({ timeout: 15_000 });
      await shot('live-followed');
      page = talking;

      await go('/calls', 'calls', 'Calls');
      const row = page.getByRole('row').filter({ hasText: 'inbound' }).first();
      await row.waitFor();
      await row.getByRole('link').click();
      await page.getByRole('heading', { name: 'Transcript' }).waitFor();
      const transcript = page.getByTestId('transcript');
      await transcript.filter({ hasText: /opening hours/i }).waitFor({ timeout: 30_000 });
      await transcript.filter({ hasText: /nine in the morning/i }).waitFor();
      // The waveform is drawn from the decoded recording.
      await until('the waveform is drawn', () =>
        page.getByTestId('waveform').evaluate((c) => {
          const cv = c as unknown as {
            width: number;
            height: number;
            getContext(kind: '2d'): { getImageData(...a: number[]): { data: Uint8ClampedArray } } | null;
          };
          const g = cv.getContext('2d');
          if (!g || cv.width < 10) return false;
          const px = g.getImageData(0, 0, cv.width, cv.height).data;
          for (let i = 3; i < px.length; i += 4) if (px[i]! > 0) return true;
          return false;
        }),
      );
      // A line of the transcript seeks the player to when it was said.
      const line = transcript.getByRole('button', { name: /nine in the morning/i }).first();
      await line.click();
      // The agent's answer came seconds into the call: the player jumps there (and plays on).
      const player = page.locator('audio');
      await until('the player seeks to the line', async () => {
        const at = await player.evaluate((a) => (a as unknown as { currentTime: number }).currentTime);
        return at > 5 ? at : false;
      });
      // The latency waterfall has a bar for a measured turn.
      await page.getByTestId('waterfall').locator('.seg').first().waitFor();
      await shot('call');
      noConsoleErrors();
    } finally {
      await micBrowser.close();
      page = owner;
    }
  });

  test('the refused delivery is a dead letter, and Replay delivers it', async () => {
    await until('the receiver refused a delivery', () => hookHits.includes(410));
    hookAnswer = 200;
    await go('/webhooks', 'dead-letters', 'Webhooks');
    const dead = page.getByTestId('deliveries').getByRole('row').filter({ hasText: 'dead' }).first();
    await dead.waitFor();
    await dead.getByRole('button', { name: /^Replay/ }).click();
    await until('the replayed delivery arrives', () => hookHits.includes(200));
    await page.reload();
    await page.getByRole('heading', { name: 'Dead letters' }).waitFor();
    await shot('dead-letters-replayed');
    noConsoleErrors();
  });

  test('a campaign CSV with a bad row: the report names the row, and the campaign can be paused', async () => {
    await go('/campaigns', 'campaigns', 'Campaigns');
    await page.getByText('New campaign from a CSV').click();
    await page.getByLabel('Campaign name').fill('Reminders');
    await page.getByLabel('Agent').selectOption({ label: 'Demo receptionist' });
    await page.getByLabel('Caller ID').fill('+14155550123');
    await page
      .getByLabel('Contacts CSV')
      .fill('phone,name\n+14155550101,Ana\nnot-a-phone,Bob\n+14155550102,Cy\n');
    await page.getByRole('button', { name: 'Create campaign and import' }).click();
    const report = page.getByTestId('import-report');
    await report.getByText('3 rows received, 2 added').waitFor();
    const bad = report.getByRole('row').filter({ hasText: 'Row 2' });
    await bad.filter({ hasText: 'phone' }).filter({ hasText: 'E.164' }).waitFor();
    await shot('campaign-import-report');
    await page.getByRole('link', { name: 'Open the campaign' }).click();
    await page.getByRole('heading', { name: 'Progress' }).waitFor();
    const pause = page.getByRole('button', { name: 'Pause' });
    if (await pause.isVisible()) {
      await pause.click();
      await page.getByRole('button', { name: 'Resume' }).waitFor();
    }
    await shot('campaign');
    await page.getByRole('button', { name: 'Cancel campaign' }).click();
    await page.getByText('cancelled', { exact: true }).first().waitFor();
    noConsoleErrors();
  });

  test('a viewer reads everything and sees no edit controls', async () => {
    await go('/users', 'users', 'Users');
    await page.getByLabel('Member email').fill(VIEWER.email);
    await page.getByLabel('Initial password').fill(VIEWER.password);
    await page.getByLabel('Role', { exact: true }).selectOption('viewer');
    await page.getByRole('button', { name: 'Add member' }).click();
    await page.getByRole('cell', { name: VIEWER.email, exact: true }).waitFor();
    await go('/api-keys', 'api-keys', 'API keys');
    await page.getByLabel('Key name').fill('CI script');
    await page.getByRole('button', { name: 'Create key' }).click();
    const key = (await page.getByTestId('secret-value').textContent()) ?? '';
    assert.match(key, /^sb_/);
    await page.getByRole('button', { name: 'Revoke CI script' }).click();
    await page.getByText('revoked').waitFor();
    const refused = await fetch(`${platform.url}/v1/agents`, { headers: { authorization: `Bearer ${key}` } });
    assert.equal(refused.status, 401, 'a revoked key stops working');
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByLabel('Email').fill(VIEWER.email);
    await page.getByLabel('Password').fill(VIEWER.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await go('/agents', 'viewer-agents', 'Agents');
    assert.equal(await page.getByRole('button', { name: 'Create agent' }).count(), 0);
    await page.getByRole('link', { name: 'Front desk' }).click();
    await page.getByRole('heading', { name: 'Front desk' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Save draft' }).count(), 0);
    assert.equal(await page.getByRole('button', { name: 'Publish', exact: true }).count(), 0);
    assert.equal(await page.getByLabel('Greeting').isDisabled(), true);
    await page.getByRole('tab', { name: 'Versions' }).click();
    await page.getByRole('cell', { name: 'copy of v1' }).waitFor();
    assert.equal(await page.getByRole('button', { name: /^Roll back/ }).count(), 0);
    await shot('viewer-agent');
    await go('/providers', 'viewer-providers', 'Providers and credentials');
    assert.equal(await page.getByText('Add a provider').count(), 0);
    assert.equal(await page.getByRole('button', { name: 'Test Local LLM' }).count(), 0);
    noConsoleErrors();
  });

  test('at 375 px the pages fit the screen and the menu opens', async () => {
    await newPage(375, 740);
    await page.goto(`${platform.url}/`);
    await page.getByRole('heading', { name: 'Log in to Switchboard' }).waitFor();
    await page.getByLabel('Email').fill(OWNER.email);
    await page.getByLabel('Password').fill(OWNER.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    for (const [path, heading] of [
      ['/', 'Overview'],
      ['/calls', 'Calls'],
      ['/agents', 'Agents'],
      ['/live', 'Live calls'],
    ] as const) {
      await go(path, `mobile${path.replace('/', '-') || '-overview'}`, heading);
      const wide = await page.evaluate(
        () =>
          (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document
            .documentElement.scrollWidth,
      );
      assert.ok(wide <= 375, `${path} is ${wide} px wide at 375 px`);
    }
    await page.getByRole('button', { name: 'Menu' }).click();
    await page.getByRole('link', { name: 'Campaigns' }).click();
    await page.getByRole('heading', { name: 'Campaigns' }).waitFor();
    await shot('mobile-menu-campaigns');
    noConsoleErrors();
  });
});
