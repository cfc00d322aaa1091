/** A knowledge base as `GET /v1/knowledge-bases/{id}` answers it. */
export interface KnowledgeBase {
  id: string;
  name: string;
  description: string | null;
  documents?: Partial<Record<'processing' | 'ready' | 'failed', number>>;
  embeddings?: KbEmbeddings | null;
  vectorSearch?: 'pgvector' | 'exact-scan';
  createdAt: string;
  updatedAt: string;
}

export interface KbEmbeddings {
  providerId: string;
  model: string;
  dimensions: number | null;
  state: 'ready' | 'embedding' | 'failed';
  embedded: number;
  total: number;
  error: string | null;
}

export interface KbDocument {
  id: string;
  sourceName: string;
  sourceType: string;
  sizeBytes: number;
  status: 'processing' | 'ready' | 'failed';
  error: string | null;
  chunkCount: number;
  createdAt: string;
}

export interface KbHit {
  chunkId: string;
  source: string;
  headingPath: string[];
  position: number;
  text: string;
  score: number;
}
