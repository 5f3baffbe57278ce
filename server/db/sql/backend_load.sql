-- name: active_of_backend
-- How many attempts an execution backend holds now (running or cancelling):
-- what a POLL backend bounds its in-flight attempts by.
SELECT count(*) FROM syncplane.runs
WHERE execution_backend = $1 AND status IN ('running', 'cancelling') AND set_aside_at IS NULL;
