-- name: insert_run
-- Creates a sync job run (the dialect row; its attempts are engine runs).
INSERT INTO syncplane.jobs_sync_job_runs
    (id, sync_job_id, integrated_account_id, args, resources, daemon_group_key, webhook_id,
     error_handling, ignore_previous_run, mutex_key, previous_run_date, environment_id, triggered_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
RETURNING id;

-- name: get_run
-- One sync job run with its latest attempt's state.
SELECT * FROM syncplane.jobs_runs_view WHERE id = $1;

-- name: list_runs
-- A page of sync job runs, newest first, after a cursor, filtered.
SELECT * FROM syncplane.jobs_runs_view
WHERE ($1::timestamptz IS NULL OR (created_at, id) < ($1, $2::uuid))
  AND ($4::uuid IS NULL OR sync_job_id = $4)
  AND ($5::uuid IS NULL OR integrated_account_id = $5)
  AND ($6::text IS NULL OR status = $6)
ORDER BY created_at DESC, id DESC
LIMIT $3;

-- name: previous_run_date
-- The start of the last completed run of a job for an integrated account.
SELECT max(v.started_at) FROM syncplane.jobs_runs_view v
WHERE v.sync_job_id = $1 AND v.integrated_account_id = $2 AND v.status = 'completed';

-- name: active_runs_of
-- Whether a sync job or integrated account has a run that has not ended.
SELECT v.id FROM syncplane.jobs_runs_view v
WHERE (v.sync_job_id = $1 OR v.integrated_account_id = $1)
  AND v.status IN ('created', 'running', 'rate_limited')
LIMIT 1;

-- name: lock_run
-- Locks a sync job run row (its attempts change under this lock).
SELECT id FROM syncplane.jobs_sync_job_runs WHERE id = $1 FOR UPDATE;
