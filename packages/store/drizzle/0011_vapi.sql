CREATE TABLE "vapi_assistants" (
	"agent_id" uuid PRIMARY KEY NOT NULL,
	"workspace_id" uuid NOT NULL,
	"linked" boolean DEFAULT true NOT NULL,
	"assistant_id" text,
	"synced_version" integer,
	"synced_body" jsonb,
	"query_tool_id" text,
	"query_tool_body" jsonb,
	"state" text DEFAULT 'pending' NOT NULL,
	"error" text,
	"synced_at" timestamp (3) with time zone,
	"lease_until" timestamp (3) with time zone,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "vapi_assistants_state_ck" CHECK ("vapi_assistants"."state" in ('pending','synced','error'))
);
--> statement-breakpoint
CREATE TABLE "vapi_kb_files" (
	"knowledge_base_id" uuid PRIMARY KEY NOT NULL,
	"workspace_id" uuid NOT NULL,
	"vapi_file_id" text NOT NULL,
	"content_hash" text NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "vapi_phone_numbers" (
	"phone_number_id" uuid PRIMARY KEY NOT NULL,
	"workspace_id" uuid NOT NULL,
	"vapi_phone_number_id" text NOT NULL,
	"assistant_id" text,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "vapi_settings" (
	"workspace_id" uuid PRIMARY KEY NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"ciphertext" text NOT NULL,
	"hint" text NOT NULL,
	"server_secret_ciphertext" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "agents" ADD COLUMN "run_on_vapi" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "calls" ADD COLUMN "recording_url" text;--> statement-breakpoint
ALTER TABLE "vapi_assistants" ADD CONSTRAINT "vapi_assistants_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vapi_kb_files" ADD CONSTRAINT "vapi_kb_files_knowledge_base_id_knowledge_bases_id_fk" FOREIGN KEY ("knowledge_base_id") REFERENCES "public"."knowledge_bases"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vapi_kb_files" ADD CONSTRAINT "vapi_kb_files_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vapi_phone_numbers" ADD CONSTRAINT "vapi_phone_numbers_phone_number_id_phone_numbers_id_fk" FOREIGN KEY ("phone_number_id") REFERENCES "public"."phone_numbers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vapi_phone_numbers" ADD CONSTRAINT "vapi_phone_numbers_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vapi_settings" ADD CONSTRAINT "vapi_settings_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "vapi_assistants_assistant_uq" ON "vapi_assistants" USING btree ("assistant_id");--> statement-breakpoint
CREATE INDEX "vapi_assistants_ws_idx" ON "vapi_assistants" USING btree ("workspace_id");--> statement-breakpoint
CREATE UNIQUE INDEX "vapi_kb_files_vapi_uq" ON "vapi_kb_files" USING btree ("vapi_file_id");--> statement-breakpoint
CREATE UNIQUE INDEX "vapi_phone_numbers_vapi_uq" ON "vapi_phone_numbers" USING btree ("vapi_phone_number_id");