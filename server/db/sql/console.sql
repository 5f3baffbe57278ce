-- name: console_runs_page
-- The latest attempt of each run chain, newest first, filtered by kind, status and creation time, after a cursor.
SELECT r.id, r.subject_kind, r.subject_id, r.status, r.attempt_number, r.error, r.executor_id, r.execution_backend,
       r.created_at, r.started_at, r.completed_at, r.updated_at, COALESCE(r.attempt_root_run_id, r.id) AS root_run_id,
       COALESCE(s.name, a.target_name, j.label) AS title
FROM syncplane.runs r
LEFT JOIN syncplane.syncs s ON r.subject_kind = 'sync' AND s.id = r.subject_id
LEFT JOIN syncplane.idm_activities a ON r.subject_kind = 'identity' AND a.id = r.subject_id
LEFT JOIN syncplane.jobs_sync_job_runs jr ON r.subject_kind = 'sync_job' AND jr.id = r.subject_id
LEFT JOIN syncplane.jobs_sync_jobs j ON j.id = jr.sync_job_id
WHERE r.next_attempt_run_id IS NULL
  AND r.subject_kind = ANY($1::text[])
  AND ($2::text[] IS NULL OR r.status = ANY($2::text[]))
  AND ($3::timestamptz IS NULL OR r.created_at >= $3)
  AND ($4::timestamptz IS NULL OR r.created_at < $4)
  AND ($5::timestamptz IS NULL OR (r.created_at, r.id) < ($5, $6::uuid))
ORDER BY r.created_at DESC, r.id DESC
LIMIT $7;

-- name: console_runs_by_id
-- The given runs (any attempt), in the same shape as a page.
SELECT r.id, r.subject_kind, r.subject_id, r.status, r.attempt_number, r.error, r.executor_id, r.execution_backend,
       r.created_at, r.started_at, r.completed_at, r.updated_at, COALESCE(r.attempt_root_run_id, r.id) AS root_run_id,
       COALESCE(s.name, a.target_name, j.label) AS title
FROM syncplane.runs r
LEFT JOIN syncplane.syncs s ON r.subject_kind = 'sync' AND s.id = r.subject_id
LEFT JOIN syncplane.idm_activities a ON r.subject_kind = 'identity' AND a.id = r.subject_id
LEFT JOIN syncplane.jobs_sync_job_runs jr ON r.subject_kind = 'sync_job' AND jr.id = r.subject_id
LEFT JOIN syncplane.jobs_sync_jobs j ON j.id = jr.sync_job_id
WHERE r.id = ANY($1::uuid[]) AND r.subject_kind = ANY($2::text[]);

-- name: console_runs_updated_since
-- Runs changed (or created) at or after an instant: what a lost notification or a new run may have hidden.
SELECT r.id, r.subject_kind, r.subject_id, r.status, r.attempt_number, r.error, r.executor_id, r.execution_backend,
       r.created_at, r.started_at, r.completed_at, r.updated_at, COALESCE(r.attempt_root_run_id, r.id) AS root_run_id,
       COALESCE(s.name, a.target_name, j.label) AS title
FROM syncplane.runs r
LEFT JOIN syncplane.syncs s ON r.subject_kind = 'sync' AND s.id = r.subject_id
LEFT JOIN syncplane.idm_activities a ON r.subject_kind = 'identity' AND a.id = r.subject_id
LEFT JOIN syncplane.jobs_sync_job_runs jr ON r.subject_kind = 'sync_job' AND jr.id = r.subject_id
LEFT JOIN syncplane.jobs_sync_jobs j ON j.id = jr.sync_job_id
WHERE r.updated_at >= $1 AND r.subject_kind = ANY($2::text[])
ORDER BY r.updated_at
LIMIT 500;

-- name: console_executors
-- Every executor the control plane has seen, connected ones first.
SELECT executor_id, executor_group, connected, draining, connected_at, last_seen_at
FROM syncplane.executors
ORDER BY connected DESC, executor_group, executor_id;

-- name: console_executor_runs
-- What executors hold now: the running and cancelling attempts.
SELECT r.id, r.subject_kind, r.subject_id, r.status, r.executor_id,
       COALESCE(s.name, a.target_name, j.label) AS title
FROM syncplane.runs r
LEFT JOIN syncplane.syncs s ON r.subject_kind = 'sync' AND s.id = r.subject_id
LEFT JOIN syncplane.idm_activities a ON r.subject_kind = 'identity' AND a.id = r.subject_id
LEFT JOIN syncplane.jobs_sync_job_runs jr ON r.subject_kind = 'sync_job' AND jr.id = r.subject_id
LEFT JOIN syncplane.jobs_sync_jobs j ON j.id = jr.sync_job_id
WHERE r.status IN ('running', 'cancelling') AND r.executor_id IS NOT NULL
ORDER BY r.started_at;

-- name: console_now
-- The database's clock, the one run timestamps are written with.
SELECT clock_timestamp();
