-- Where an attempt runs when it runs outside syncplane's own executors
-- (Temporal, Prefect, an outside orchestrator's worker): the backend's own
-- reference for it and a link into its UI, the backend's view of it (its
-- status, attempt, pending work, last failure) and when the backend last
-- said it was alive. Written by the engine from what the backend reports
-- (server/engine/backends); shown on the run as backendRunRef, backendRunUrl,
-- backendStatus and backendHeartbeatAt.
ALTER TABLE syncplane.runs
    ADD COLUMN backend_run_ref text,
    ADD COLUMN backend_run_url text,
    ADD COLUMN backend_status jsonb NOT NULL DEFAULT '{}'::jsonb,
    ADD COLUMN backend_heartbeat_at timestamptz;

-- Outside workers claim the pending runs of their backend (optionally of one
-- queue, the run's executor group) in queue order.
CREATE INDEX runs_pending_by_backend ON syncplane.runs (execution_backend, queued_at)
    WHERE status = 'pending';
