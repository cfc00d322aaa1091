-- Vector search in the database where the pgvector extension can be had: PGlite ships it, a
-- PostgreSQL server has it when pgvector is installed. There the passages' embeddings become the
-- `vector` type and search ranks by cosine distance (`<=>`); elsewhere the column stays `real[]` and
-- search scans it exactly (KnowledgeRepo.vectorSearchKind tells which). A server whose role may not
-- create the extension keeps `real[]` as well: the migration must run on every PostgreSQL.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'vector') THEN
    BEGIN
      CREATE EXTENSION IF NOT EXISTS vector;
      ALTER TABLE "kb_chunks" ALTER COLUMN "embedding" TYPE vector USING "embedding"::vector;
    EXCEPTION WHEN insufficient_privilege OR feature_not_supported THEN
      RAISE NOTICE 'pgvector not usable (%); knowledge search scans real[] embeddings', SQLERRM;
    END;
  END IF;
END
$$;
