import { Parser } from 'htmlparser2';

export const SOURCE_TYPES = ['txt', 'md', 'html', 'pdf', 'docx'] as const;
export type SourceType = (typeof SOURCE_TYPES)[number];

const BY_EXTENSION: Record<string, SourceType> = {
  txt: 'txt',
  text: 'txt',
  md: 'md',
  markdown: 'md',
  html: 'html',
  htm: 'html',
  pdf: 'pdf',
  docx: 'docx',
};

const BY_MEDIA_TYPE: Record<string, SourceType> = {
  'text/plain': 'txt',
  'text/markdown': 'md',
  'text/x-markdown': 'md',
  'text/html': 'html',
  'application/xhtml+xml': 'html',
  'application/pdf': 'pdf',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
};

/** Media types an upload may carry as its body (besides multipart). */
export const UPLOAD_MEDIA_TYPES = Object.keys(BY_MEDIA_TYPE);

/**
 * The document's type from its file name's extension, else from its media type; undefined when
 * neither names a supported type.
 */
export function detectType(
  fileName: string | undefined,
  mediaType: string | undefined,
): SourceType | undefined {
  const ext = fileName?.toLowerCase().match(/\.([a-z0-9]+)$/)?.[1];
  if (ext && BY_EXTENSION[ext]) return BY_EXTENSION[ext];
  const media = mediaType?.split(';')[0]?.trim().toLowerCase();
  return media ? BY_MEDIA_TYPE[media] : undefined;
}

/** A document that could not be read; the message says why, for the document's `error`. */
export class DocumentParseError extends Error {
  override name = 'DocumentParseError';
}

/**
 * The document's text, with headings as Markdown `#` lines where the format has headings (Markdown,
 * HTML, Word), so one chunker splits them all along their sections.
 */
export async function extractText(data: Buffer, type: SourceType): Promise<string> {
  let text: string;
  switch (type) {
    case 'txt':
    case 'md':
      text = decodeUtf8(data);
      break;
    case 'html':
      text = htmlToText(decodeUtf8(data));
      break;
    case 'docx':
      text = htmlToText(await docxToHtml(data));
      break;
    case 'pdf':
      text = await pdfToText(data);
      break;
  }
  return cleanText(text);
}

function decodeUtf8(data: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(data);
  } catch {
    throw new DocumentParseError('the file is not UTF-8 text');
  }
}

/** NULs and unpaired surrogates cannot be stored; line ends and spaces are made uniform. */
export function cleanText(text: string): string {
  return (
    text
      .replace(/\r\n?/g, '\n')
      // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this removes
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, ' ')
      .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '')
      .replace(/[ \t\u00a0]+/g, ' ')
      .replace(/ *\n */g, '\n')
      .replace(/\n{3,}/g, '\n\n')
      .trim()
  );
}

const SKIP = new Set(['script', 'style', 'noscript', 'template', 'head', 'svg', 'nav', 'footer']);
const BLOCK = new Set([
  'p',
  'div',
  'section',
  'article',
  'main',
  'header',
  'aside',
  'blockquote',
  'pre',
  'ul',
  'ol',
  'dl',
  'dt',
  'dd',
  'table',
  'tr',
  'hr',
  'figure',
  'figcaption',
  'address',
  'details',
  'summary',
]);

/** HTML as text: headings become `#` lines, blocks and list items paragraphs, cells spaced. */
export function htmlToText(html: string): string {
  const out: string[] = [];
  let skipping = 0;
  const parser = new Parser(
    {
      onopentag(name) {
        if (SKIP.has(name)) skipping++;
        if (skipping) return;
        const h = /^h([1-6])$/.exec(name);
        if (h) out.push(`\n\n${'#'.repeat(Number(h[1]))} `);
        else if (name === 'li') out.push('\n- ');
        else if (name === 'br') out.push('\n');
        else if (name === 'td' || name === 'th') out.push(' ');
        else if (BLOCK.has(name)) out.push('\n\n');
      },
      ontext(text) {
        if (!skipping) out.push(text.replace(/\s+/g, ' '));
      },
      onclosetag(name) {
        if (SKIP.has(name)) {
          skipping = Math.max(0, skipping - 1);
          return;
        }
        if (skipping) return;
        if (/^h[1-6]$/.test(name) || BLOCK.has(name)) out.push('\n\n');
      },
    },
    { decodeEntities: true, lowerCaseTags: true },
  );
  parser.write(html);
  parser.end();
  // A heading's text sits on its `#` line even when the markup broke it up.
  return out.join('').replace(/(^|\n)(#{1,6}) +\n*/g, '$1$2 ');
}

async function docxToHtml(data: Buffer): Promise<string> {
  const mammoth = (await import('mammoth')).default;
  try {
    const r = await mammoth.convertToHtml({ buffer: data });
    return r.value;
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new DocumentParseError(
      /central directory|zip/i.test(why)
        ? 'not a Word (.docx) file: it is not a zip archive'
        : `not a readable Word (.docx) file: ${why}`,
    );
  }
}

async function pdfToText(data: Buffer): Promise<string> {
  const { getDocumentProxy, extractText: pdfText } = await import('unpdf');
  try {
    // PDF.js takes ownership of the bytes it is given; it gets a copy.
    const pdf = await getDocumentProxy(new Uint8Array(data), { verbosity: 0 });
    try {
      const { text } = await pdfText(pdf, { mergePages: false });
      return text.join('\n\n');
    } finally {
      // Frees the parsed pages (this build's proxy has no destroy()).
      await pdf.cleanup();
    }
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    if (/password/i.test(why)) throw new DocumentParseError('the PDF is password-protected');
    throw new DocumentParseError(`not a readable PDF: ${why}`);
  }
}
