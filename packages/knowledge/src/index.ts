export {
  type Chunk,
  type ChunkOptions,
  chunkText,
  DEFAULT_CHUNK_TOKENS,
  DEFAULT_OVERLAP_TOKENS,
} from './chunk.js';
export {
  cleanText,
  DocumentParseError,
  detectType,
  extractText,
  htmlToText,
  SOURCE_TYPES,
  type SourceType,
  UPLOAD_MEDIA_TYPES,
} from './parse.js';
