CREATE TABLE "vapi_phone_numbers" (
	"phone_number_id" uuid PRIMARY KEY NOT NULL,
	"workspace_id" uuid NOT NULL,
	"vapi_phone_number_id" text NOT NULL,
	"assistant_id" text,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "vapi_phone_numbers" ADD CONSTRAINT "vapi_phone_numbers_phone_number_id_phone_numbers_id_fk" FOREIGN KEY ("phone_number_id") REFERENCES "public"."phone_numbers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vapi_phone_numbers" ADD CONSTRAINT "vapi_phone_numbers_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "vapi_phone_numbers_vapi_uq" ON "vapi_phone_numbers" USING btree ("vapi_phone_number_id");