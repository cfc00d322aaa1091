import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chunkText } from './chunk.js';
import { cleanText, DocumentParseError, detectType, extractText, htmlToText } from './parse.js';
import { minimalDocx, minimalPdf } from './testing.js';

test('type from the file extension first, else the media type', () => {
  assert.equal(detectType('Guide.PDF', 'application/octet-stream'), 'pdf');
  assert.equal(detectType('notes.markdown', undefined), 'md');
  assert.equal(detectType(undefined, 'text/html; charset=utf-8'), 'html');
  assert.equal(
    detectType('upload', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'),
    'docx',
  );
  assert.equal(detectType('slides.pptx', 'application/octet-stream'), undefined);
  assert.equal(detectType(undefined, undefined), undefined);
});

test('HTML: headings become # lines, scripts and styles are dropped, entities decoded', () => {
  const text = htmlToText(
    '<html><head><title>x</title><style>p{}</style></head><body><h1>Clinic</h1><p>Open <b>nine</b>&nbsp;to five &amp; Sat.</p>' +
      '<script>alert(1)</script><h2>Parking</h2><ul><li>Behind</li><li>Free</li></ul></body></html>',
  );
  const chunks = chunkText(text);
  assert.deepEqual(
    chunks.map((c) => [c.headingPath, c.content.replace(/\s+/g, ' ')]),
    [
      [['Clinic'], 'Open nine to five & Sat.'],
      [['Clinic', 'Parking'], '- Behind - Free'],
    ],
  );
  assert.doesNotMatch(text, /alert|p\{\}/);
});

test('PDF: the text of each page', async () => {
  const text = await extractText(minimalPdf(['Refund policy', 'Refunds are paid within (14) days.']), 'pdf');
  assert.equal(text, 'Refund policy\nRefunds are paid within (14) days.');
});

test('Word: headings and paragraphs, with their structure', async () => {
  const text = await extractText(
    minimalDocx(['# Parking', 'Park behind the building & it is free.', '## Bikes', 'Use the rack.']),
    'docx',
  );
  const chunks = chunkText(text);
  assert.deepEqual(
    chunks.map((c) => [c.headingPath, c.content]),
    [
      [['Parking'], 'Park behind the building & it is free.'],
      [['Parking', 'Bikes'], 'Use the rack.'],
    ],
  );
});

test('unreadable files fail with a reason, not a crash', async () => {
  await assert.rejects(extractText(Buffer.from('hello'), 'pdf'), (e: Error) => {
    return e instanceof DocumentParseError && /not a readable PDF/.test(e.message);
  });
  await assert.rejects(extractText(Buffer.from('hello'), 'docx'), /not a Word \(\.docx\) file/);
  await assert.rejects(extractText(Buffer.from([0xff, 0xfe, 0x00, 0xd8]), 'txt'), /not UTF-8 text/);
});

test('text is made storable: NULs, control characters and lone surrogates go', async () => {
  const text = await extractText(Buffer.from('a\u0000b\u0007c  d\r\ne', 'utf8'), 'txt');
  assert.equal(text, 'a b c d\ne');
  assert.equal(cleanText('x\ud800y \udc00z'), 'xy z');
});
