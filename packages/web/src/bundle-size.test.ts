import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ensureWeb } from '../bundle.mjs';

/** What the first page may load, gzip-compressed: entry script, React, shared chunks and CSS. */
const BUDGET_BYTES = 250 * 1024;

test('the first page of the dashboard loads at most 250 kB gzip, and each page is its own chunk', async () => {
  const dir = await ensureWeb();
  const stats = JSON.parse(readFileSync(join(dir, 'stats.json'), 'utf8')) as {
    firstPageGzipBytes: number;
    firstPage: string[];
  };
  assert.ok(stats.firstPageGzipBytes > 10_000, `implausibly small: ${stats.firstPageGzipBytes} bytes`);
  assert.ok(
    stats.firstPageGzipBytes <= BUDGET_BYTES,
    `the first page loads ${stats.firstPageGzipBytes} bytes gzip (${stats.firstPage.join(', ')})`,
  );
  // The pages are split off: none of them is part of what the first page loads.
  assert.ok(
    !stats.firstPage.some((f) => /^(AgentDetail|CallDetail|Providers)-/.test(f)),
    stats.firstPage.join(),
  );
  const index = readFileSync(join(dir, 'index.html'), 'utf8');
  assert.match(index, /<script type="module" src="\/assets\/app-[A-Z0-9]+\.js"><\/script>/);
});
