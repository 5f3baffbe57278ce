-- name: queue_depth
-- Runs waiting for an executor (pending and due; set-aside rows excluded), by group and backend.
SELECT executor_group, execution_backend, count(*) AS waiting
FROM syncplane.runs
WHERE status = 'pending' AND set_aside_at IS NULL AND (not_before IS NULL OR not_before <= clock_timestamp())
GROUP BY executor_group, execution_backend;

-- name: outbox_lag
-- Undelivered webhook deliveries and the age in seconds of the oldest (0 when none).
SELECT count(*) AS pending,
       coalesce(extract(epoch FROM clock_timestamp() - min(created_at)), 0)::float8 AS lag_seconds
FROM syncplane.jobs_outbox
WHERE status = 'pending' AND set_aside_at IS NULL;

-- name: set_trace_parent
-- Stores an attempt's traceparent (tracing on only).
UPDATE syncplane.runs SET trace_parent = $2 WHERE id = $1;
