-- The console shows a sync-job run's webhook deliveries (GET /sync-job-run/{id}/webhook-delivery): each
-- outbox row names the run whose event it carries, and a run's rows are one index range in queue order.
-- Rows queued before this migration get theirs from the event they carry (its payload is the run).
ALTER TABLE syncplane.jobs_outbox ADD COLUMN run_id uuid;
UPDATE syncplane.jobs_outbox SET run_id = (body::jsonb -> 'payload' ->> 'id')::uuid
WHERE body::jsonb -> 'payload' ->> 'id' ~ '^[0-9a-fA-F-]{36}$';
CREATE INDEX jobs_outbox_run_idx ON syncplane.jobs_outbox (run_id, id) WHERE run_id IS NOT NULL;
