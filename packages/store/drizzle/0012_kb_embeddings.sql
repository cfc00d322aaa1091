ALTER TABLE "kb_chunks" ADD COLUMN "embedding" real[];--> statement-breakpoint
ALTER TABLE "kb_chunks" ADD COLUMN "embedding_model" text;--> statement-breakpoint
ALTER TABLE "knowledge_bases" ADD COLUMN "embedding_provider_id" uuid;--> statement-breakpoint
ALTER TABLE "knowledge_bases" ADD COLUMN "embedding_model" text;--> statement-breakpoint
ALTER TABLE "knowledge_bases" ADD COLUMN "embedding_dimensions" integer;--> statement-breakpoint
ALTER TABLE "knowledge_bases" ADD COLUMN "embedding_error" text;--> statement-breakpoint
ALTER TABLE "knowledge_bases" ADD CONSTRAINT "knowledge_bases_embedding_provider_id_providers_id_fk" FOREIGN KEY ("embedding_provider_id") REFERENCES "public"."providers"("id") ON DELETE set null ON UPDATE no action;