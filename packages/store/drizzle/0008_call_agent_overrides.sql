ALTER TABLE "calls" ADD COLUMN "agent_overrides" jsonb;--> statement-breakpoint
ALTER TABLE "calls" ADD COLUMN "agent_config" jsonb;--> statement-breakpoint
ALTER TABLE "campaign_contacts" ADD COLUMN "agent_overrides" jsonb;