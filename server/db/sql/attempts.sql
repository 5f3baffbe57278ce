-- name: attempt_of
-- The current attempt of a run, if `$2` is still its fencing token, with its
-- sealed secrets (an outside backend's worker fetching what to run).
SELECT r.*,
       (SELECT coalesce(jsonb_object_agg(e.key, jsonb_build_object(
                   'id', c.id, 'keyId', c.key_id, 'sealed', encode(c.sealed, 'hex'), 'clear', c.secrets)), '{}'::jsonb)
          FROM jsonb_each_text(r.credential_ids) AS e(key, value)
          JOIN syncplane.credentials c ON c.id = e.value::uuid) AS secrets
FROM syncplane.runs r
WHERE r.id = $1 AND r.attempt_token = $2 AND r.status IN ('running', 'cancelling');

-- name: report_attempt
-- An outside worker's report (fenced by token): renews the lease, records the
-- backend's heartbeat and, when given, its reference, link and own view.
-- A lease is never shortened (the sweeper may hold a polled attempt's longer).
UPDATE syncplane.runs
SET lease_expires_at = GREATEST(lease_expires_at, clock_timestamp() + make_interval(secs => $3)),
    last_heartbeat_at = clock_timestamp(),
    backend_heartbeat_at = clock_timestamp(),
    backend_run_ref = coalesce($4, backend_run_ref),
    backend_run_url = coalesce($5, backend_run_url),
    backend_status = coalesce($6, backend_status)
WHERE id = $1 AND attempt_token = $2 AND status IN ('running', 'cancelling')
RETURNING id, status, lease_expires_at;

-- name: record_backend_refs
-- Where a backend started each claimed attempt (fenced by token), in one statement.
UPDATE syncplane.runs r
SET backend_run_ref = p.ref, backend_run_url = p.url, updated_at = clock_timestamp()
FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::text[]) AS p(id, token, ref, url)
WHERE r.id = p.id AND r.attempt_token = p.token;

-- name: record_backend_state
-- A backend's answer to a poll (fenced by token): its own view, heartbeat and
-- link; NULL keeps what was there.
UPDATE syncplane.runs
SET backend_status = coalesce($3, backend_status),
    backend_heartbeat_at = coalesce($4, backend_heartbeat_at),
    backend_run_url = coalesce($5, backend_run_url)
WHERE id = $1 AND attempt_token = $2;

-- name: ended_attempt
-- A run whose attempt `$2` has just ended (for the engine's last look at the
-- backend that ran it); none once a newer attempt took over.
SELECT * FROM syncplane.runs
WHERE id = $1 AND attempt_token = $2 AND status IN ('succeeded', 'failed', 'cancelled');

-- name: claim_backend_runs
-- Claims up to $3 pending runs of execution backend $1 for an outside worker
-- ($4), of queue $2 (the run's executor group; '' = any) and connectors $6
-- (empty = any), in queue order, with a fresh fencing token and a lease of
-- $5 seconds; returns them with their sealed secrets. Mutex keys are honoured
-- as in claim_runs.
WITH picked AS (
    SELECT id FROM syncplane.runs r
    WHERE status = 'pending' AND execution_backend = $1
      AND ($2 = '' OR executor_group = $2)
      AND (cardinality($6::text[]) = 0 OR connector = ANY($6::text[]))
      AND (not_before IS NULL OR not_before <= clock_timestamp())
      AND (r.mutex_key IS NULL OR (
          NOT EXISTS (SELECT 1 FROM syncplane.runs held
                      WHERE held.mutex_key = r.mutex_key AND held.status IN ('running', 'cancelling'))
          AND NOT EXISTS (SELECT 1 FROM syncplane.runs older
                          WHERE older.mutex_key = r.mutex_key AND older.status = 'pending'
                            AND (older.queued_at, older.id) < (r.queued_at, r.id))))
    ORDER BY queued_at
    LIMIT $3
    FOR UPDATE SKIP LOCKED
), claimed AS (
    UPDATE syncplane.runs r
    SET status = 'running',
        executor_id = $4,
        attempt_token = nextval('syncplane.attempt_tokens'),
        lease_expires_at = clock_timestamp() + make_interval(secs => $5),
        last_heartbeat_at = clock_timestamp(),
        backend_heartbeat_at = clock_timestamp(),
        started_at = clock_timestamp(),
        updated_at = clock_timestamp()
    FROM picked
    WHERE r.id = picked.id
    RETURNING r.*
)
SELECT claimed.*,
       (SELECT coalesce(jsonb_object_agg(e.key, jsonb_build_object(
                   'id', c.id, 'keyId', c.key_id, 'sealed', encode(c.sealed, 'hex'), 'clear', c.secrets)), '{}'::jsonb)
          FROM jsonb_each_text(claimed.credential_ids) AS e(key, value)
          JOIN syncplane.credentials c ON c.id = e.value::uuid) AS secrets,
       pg_notify('syncplane_run_changed', claimed.id::text) AS notified
FROM claimed
ORDER BY claimed.queued_at;
