CREATE TABLE "ha_connections" (
	"workspace_id" uuid PRIMARY KEY NOT NULL,
	"url" text NOT NULL,
	"ciphertext" text NOT NULL,
	"hint" text NOT NULL,
	"history_retention_days" integer DEFAULT 7 NOT NULL,
	"status" text DEFAULT 'connecting' NOT NULL,
	"last_error" text,
	"ha_version" text,
	"last_synced_at" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ha_connections_status_ck" CHECK ("ha_connections"."status" in ('connecting','connected','disconnected','auth_failed','error')),
	CONSTRAINT "ha_connections_retention_ck" CHECK ("ha_connections"."history_retention_days" between 1 and 3650)
);
--> statement-breakpoint
CREATE TABLE "ha_devices" (
	"workspace_id" uuid NOT NULL,
	"id" text NOT NULL,
	"friendly_name" text NOT NULL,
	"name" text,
	"name_by_user" text,
	"manufacturer" text,
	"model" text,
	"sw_version" text,
	"area_id" text,
	"via_device_id" text,
	"disabled_by" text,
	"raw" jsonb NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ha_devices_pkey" PRIMARY KEY("workspace_id","id")
);
--> statement-breakpoint
CREATE TABLE "ha_entities" (
	"workspace_id" uuid NOT NULL,
	"entity_id" text NOT NULL,
	"domain" text NOT NULL,
	"registry_id" text,
	"unique_id" text,
	"platform" text,
	"device_id" text,
	"area_id" text,
	"name" text,
	"original_name" text,
	"friendly_name" text NOT NULL,
	"disabled_by" text,
	"hidden_by" text,
	"entity_category" text,
	"registry" jsonb,
	"state" text,
	"attributes" jsonb,
	"last_changed" timestamp (3) with time zone,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ha_entities_pkey" PRIMARY KEY("workspace_id","entity_id")
);
--> statement-breakpoint
CREATE TABLE "ha_services" (
	"workspace_id" uuid NOT NULL,
	"domain" text NOT NULL,
	"service" text NOT NULL,
	"name" text,
	"description" text,
	"fields" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"target" jsonb,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ha_services_pkey" PRIMARY KEY("workspace_id","domain","service")
);
--> statement-breakpoint
CREATE TABLE "ha_state_history" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"workspace_id" uuid NOT NULL,
	"entity_id" text NOT NULL,
	"state" text,
	"attributes" jsonb,
	"changed_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "ha_connections" ADD CONSTRAINT "ha_connections_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ha_devices" ADD CONSTRAINT "ha_devices_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ha_devices" ADD CONSTRAINT "ha_devices_via_fk" FOREIGN KEY ("workspace_id","via_device_id") REFERENCES "public"."ha_devices"("workspace_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ha_entities" ADD CONSTRAINT "ha_entities_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ha_entities" ADD CONSTRAINT "ha_entities_device_fk" FOREIGN KEY ("workspace_id","device_id") REFERENCES "public"."ha_devices"("workspace_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ha_services" ADD CONSTRAINT "ha_services_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ha_state_history" ADD CONSTRAINT "ha_state_history_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "ha_entities_domain_idx" ON "ha_entities" USING btree ("workspace_id","domain");--> statement-breakpoint
CREATE INDEX "ha_state_history_entity_idx" ON "ha_state_history" USING btree ("workspace_id","entity_id","changed_at");--> statement-breakpoint
CREATE INDEX "ha_state_history_age_idx" ON "ha_state_history" USING btree ("changed_at");