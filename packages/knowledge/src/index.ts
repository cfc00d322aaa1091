export {
  type Chunk,
  type ChunkOptions,
  chunkText,
  DEFAULT_CHUNK_TOKENS,
  DEFAULT_OVERLAP_TOKENS,
} from './chunk.js';
export {
  type CrawledPage,
  type CrawlOptions,
  type CrawlResult,
  crawl,
  extractLinks,
  type PageOutcome,
  robotsDisallows,
} from './crawl.js';
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
export { type Embedder, type Fused, RRF_K, reciprocalRankFusion } from './rank.js';
