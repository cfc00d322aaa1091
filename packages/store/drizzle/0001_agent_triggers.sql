-- Published versions are immutable: corrections are new versions.
CREATE OR REPLACE FUNCTION agent_versions_immutable() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'agent versions are immutable (agent %, version %)', OLD.agent_id, OLD.version
    USING ERRCODE = 'check_violation';
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER agent_versions_no_update BEFORE UPDATE ON agent_versions
  FOR EACH ROW EXECUTE FUNCTION agent_versions_immutable();
--> statement-breakpoint
-- Every change to what answers calls is announced, whoever wrote it, after commit.
-- Payload: "<agent id>:<workspace id>" so caches can drop one entry.
CREATE OR REPLACE FUNCTION agents_notify_change() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM pg_notify('agent_changed', OLD.id::text || ':' || OLD.workspace_id::text);
    RETURN OLD;
  END IF;
  IF TG_OP = 'INSERT'
     OR NEW.current_version IS DISTINCT FROM OLD.current_version
     OR NEW.default_inbound IS DISTINCT FROM OLD.default_inbound
     OR NEW.default_outbound IS DISTINCT FROM OLD.default_outbound
     OR NEW.name IS DISTINCT FROM OLD.name THEN
    PERFORM pg_notify('agent_changed', NEW.id::text || ':' || NEW.workspace_id::text);
  END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER agents_notify AFTER INSERT OR UPDATE OR DELETE ON agents
  FOR EACH ROW EXECUTE FUNCTION agents_notify_change();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION phone_numbers_notify_change() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM pg_notify('route_changed', OLD.connector || ':' || OLD.number);
    RETURN OLD;
  END IF;
  PERFORM pg_notify('route_changed', NEW.connector || ':' || NEW.number);
  IF TG_OP = 'UPDATE' AND (OLD.number <> NEW.number OR OLD.connector <> NEW.connector) THEN
    PERFORM pg_notify('route_changed', OLD.connector || ':' || OLD.number);
  END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER phone_numbers_notify AFTER INSERT OR UPDATE OR DELETE ON phone_numbers
  FOR EACH ROW EXECUTE FUNCTION phone_numbers_notify_change();
