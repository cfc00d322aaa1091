import { AppError, type Logger } from '@switchboard/core';
import { chunkText, DocumentParseError, detectType, extractText, SOURCE_TYPES } from '@switchboard/knowledge';
import type { KbDocument, Store } from '@switchboard/store';

export { UPLOAD_MEDIA_TYPES } from '@switchboard/knowledge';

export interface Upload {
  data: Buffer;
  fileName?: string;
  contentType?: string;
  /** The document's name when it is not a file's (a crawled page's URL). */
  sourceName?: string;
}

/** More passages than this is not a document an agent can use on a call; split it up. */
export const MAX_CHUNKS_PER_DOCUMENT = 20_000;

const invalid = (message: string) =>
  new AppError('validation_failed', message, { details: [{ path: 'body', message }] });

/**
 * Reads an uploaded document into a knowledge base: checks what can be checked before storing
 * anything (a 400), then records the document, extracts its text, splits it and indexes the
 * passages. A file that cannot be read leaves a `failed` document with the reason.
 */
export async function ingestDocument(
  store: Store,
  workspaceId: string,
  knowledgeBaseId: string,
  upload: Upload,
  logger: Logger,
): Promise<KbDocument> {
  if (upload.data.length === 0) throw invalid('the document is empty');
  const type = detectType(upload.fileName, upload.contentType);
  if (!type) {
    throw invalid(
      `cannot tell the document's type from ${upload.fileName ? `its name "${upload.fileName}"` : 'its name'}` +
        ` or Content-Type ${upload.contentType ?? '(none)'}; supported: ${SOURCE_TYPES.map((t) => `.${t}`).join(', ')}`,
    );
  }
  const sourceName = (
    upload.sourceName ?? (upload.fileName ?? `document.${type}`).replace(/[\\/]/g, '_')
  ).slice(0, 255);
  const doc = await store.knowledge.createDocument(workspaceId, knowledgeBaseId, {
    sourceName,
    sourceType: type,
    sizeBytes: upload.data.length,
  });
  let chunks: ReturnType<typeof chunkText>;
  try {
    const text = await extractText(upload.data, type);
    chunks = chunkText(text, { headings: type !== 'txt' });
  } catch (e) {
    const reason =
      e instanceof DocumentParseError
        ? e.message
        : `could not be read: ${e instanceof Error ? e.message : e}`;
    if (!(e instanceof DocumentParseError))
      logger.warn({ err: e, documentId: doc.id }, 'document parser failed');
    return store.knowledge.failDocument(doc.id, reason);
  }
  if (chunks.length === 0) return store.knowledge.failDocument(doc.id, 'no text found in the document');
  if (chunks.length > MAX_CHUNKS_PER_DOCUMENT) {
    return store.knowledge.failDocument(
      doc.id,
      `the document has ${chunks.length} passages, more than ${MAX_CHUNKS_PER_DOCUMENT}; split it into smaller files`,
    );
  }
  try {
    return await store.knowledge.completeDocument(doc.id, chunks);
  } catch (e) {
    // The database failed (it is down, say): the document says so, and the client gets the error.
    await store.knowledge
      .failDocument(doc.id, 'the passages could not be stored; upload it again')
      .catch(() => {});
    throw e;
  }
}
