CREATE TABLE "vapi_kb_files" (
	"knowledge_base_id" uuid PRIMARY KEY NOT NULL,
	"workspace_id" uuid NOT NULL,
	"vapi_file_id" text NOT NULL,
	"content_hash" text NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "vapi_assistants" ADD COLUMN "query_tool_id" text;--> statement-breakpoint
ALTER TABLE "vapi_assistants" ADD COLUMN "query_tool_body" jsonb;--> statement-breakpoint
ALTER TABLE "vapi_kb_files" ADD CONSTRAINT "vapi_kb_files_knowledge_base_id_knowledge_bases_id_fk" FOREIGN KEY ("knowledge_base_id") REFERENCES "public"."knowledge_bases"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vapi_kb_files" ADD CONSTRAINT "vapi_kb_files_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "vapi_kb_files_vapi_uq" ON "vapi_kb_files" USING btree ("vapi_file_id");