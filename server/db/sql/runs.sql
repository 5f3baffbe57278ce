-- name: insert_run
-- Queues a run (pending) and wakes the dispatchers of its group.
WITH ins AS (
    INSERT INTO syncplane.runs (
        id, subject_kind, subject_id, concurrency_key, status, run_mode, triggered_by,
        trigger_ref, execution_backend, execution_mode, executor_group, connector, spec,
        credential_ids, attempt_number, attempt_root_run_id, previous_attempt_run_id,
        max_auto_resume_attempts, auto_resume_count, mutex_key, state_root)
    VALUES ($1, $2, $3, $4, 'pending', $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,
            coalesce($15::uuid, $1::uuid), $16, $17, $18, $19,
            -- a chain's resume state is keyed by its first attempt unless given another root
            coalesce($20::uuid, $15::uuid, $1::uuid))
    RETURNING *
)
SELECT ins.*, pg_notify('syncplane_runs_pending', ins.executor_group) FROM ins;

-- name: get_run
-- One run by id.
SELECT * FROM syncplane.runs WHERE id = $1;

-- name: list_subject_runs
-- A page of a subject's runs, newest first, with the total count.
SELECT *, count(*) OVER () AS total_count
FROM syncplane.runs
WHERE subject_kind = $1 AND subject_id = $2
ORDER BY created_at DESC, id
LIMIT $3 OFFSET $4;

-- name: list_kind_runs
-- A page of the runs of every subject of a kind, newest first, with the total count;
-- $2 keeps only those statuses unless empty.
SELECT *, count(*) OVER () AS total_count
FROM syncplane.runs
WHERE subject_kind = $1 AND (cardinality($2::text[]) = 0 OR status = ANY($2::text[]))
ORDER BY created_at DESC, id
LIMIT $3 OFFSET $4;

-- name: count_kind_runs
-- How many runs of a kind are in those statuses (for a page past the end).
SELECT count(*) FROM syncplane.runs
WHERE subject_kind = $1 AND (cardinality($2::text[]) = 0 OR status = ANY($2::text[]));

-- name: count_subject_runs
-- How many runs a subject has (for a page past the end).
SELECT count(*) FROM syncplane.runs WHERE subject_kind = $1 AND subject_id = $2;

-- name: active_run_for_key
-- The non-terminal run holding a concurrency key, if any.
SELECT * FROM syncplane.runs
WHERE concurrency_key = $1 AND status IN ('pending', 'running', 'cancelling');

-- name: active_run_of_subject
-- A subject's run that has not ended, if any (the newest first).
SELECT * FROM syncplane.runs
WHERE subject_kind = $1 AND subject_id = $2 AND status IN ('pending', 'running', 'cancelling')
ORDER BY created_at DESC
LIMIT 1;

-- name: claim_runs
-- Claims up to $3 pending runs of a group and execution backend ($6) for one
-- executor (or backend worker), in queue order (a
-- resumed attempt keeps its chain's place: queued_at), with
-- a fresh fencing token and lease; returns them with their secrets. A run with
-- a mutex key waits while another run of that key runs, and only the oldest
-- pending run of a key is eligible (so one claim never takes two of a key).
WITH picked AS (
    SELECT id FROM syncplane.runs r
    WHERE status = 'pending' AND executor_group = $1 AND connector = ANY($2::text[])
      AND execution_backend = $6
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
        started_at = clock_timestamp(),
        updated_at = clock_timestamp()
    FROM picked
    WHERE r.id = picked.id
    RETURNING r.*
)
SELECT claimed.*,
       -- sealed: the dispatcher opens them (server.db.credentials.open_roles)
       (SELECT coalesce(jsonb_object_agg(e.key, jsonb_build_object(
                   'id', c.id, 'keyId', c.key_id, 'sealed', encode(c.sealed, 'hex'), 'clear', c.secrets)), '{}'::jsonb)
          FROM jsonb_each_text(claimed.credential_ids) AS e(key, value)
          JOIN syncplane.credentials c ON c.id = e.value::uuid) AS secrets,
       -- watchers learn of the new state in the same round trip
       pg_notify('syncplane_run_changed', claimed.id::text) AS notified
FROM claimed
ORDER BY claimed.queued_at;

-- name: release_claim
-- Puts a claimed run back in the queue when its assignment could not be sent.
UPDATE syncplane.runs
SET status = 'pending', executor_id = NULL, attempt_token = NULL, lease_expires_at = NULL,
    started_at = NULL, updated_at = clock_timestamp()
WHERE id = $1 AND attempt_token = $2 AND status = 'running';

-- name: renew_leases
-- Extends the leases of the attempts an executor says it runs; returns the
-- tokens still current (the others are superseded or ended). A lease is
-- never shortened: a polled attempt's (see Sweeper) may be longer than a report's.
UPDATE syncplane.runs
SET lease_expires_at = GREATEST(lease_expires_at, clock_timestamp() + make_interval(secs => $3)),
    last_heartbeat_at = clock_timestamp()
WHERE executor_id = $1 AND attempt_token = ANY($2::bigint[])
  AND status IN ('running', 'cancelling')
RETURNING id, attempt_token, status, subject_id, subject_kind, attempt_number, execution_backend, trace_parent;

-- name: save_progress
-- Stores coalesced progress of several attempts at once (fenced by token).
UPDATE syncplane.runs r
SET progress = p.progress, updated_at = clock_timestamp()
FROM unnest($1::uuid[], $2::bigint[], $3::jsonb[]) AS p(id, token, progress)
WHERE r.id = p.id AND r.attempt_token = p.token AND r.status IN ('running', 'cancelling')
RETURNING r.id, r.subject_kind, r.subject_id, r.progress;

-- name: save_checkpoint
-- Records an attempt's committed checkpoint (fenced by token).
UPDATE syncplane.runs
SET checkpoint = $3, updated_at = clock_timestamp()
WHERE id = $1 AND attempt_token = $2 AND status IN ('running', 'cancelling')
RETURNING id;

-- name: finish_run
-- Ends an attempt with its outcome (fenced by token) and tells watchers. $8 is
-- when it really ended, if known and not now (an attempt that ended in its
-- backend while no server watched): written in the same statement, so no
-- reader ever sees the time the server noticed instead.
WITH upd AS (
    UPDATE syncplane.runs
    SET status = $3, result_class = $4, result_reason_code = $5, error = $6,
        summary = $7, completed_at = COALESCE($8, clock_timestamp()), lease_expires_at = NULL,
        updated_at = clock_timestamp()
    WHERE id = $1 AND attempt_token = $2 AND status IN ('running', 'cancelling')
    RETURNING *
)
SELECT upd.*, pg_notify('syncplane_run_changed', upd.id::text) AS notified FROM upd;

-- name: cancel_pending
-- Cancels a run that no executor has started, and tells watchers.
WITH upd AS (
    UPDATE syncplane.runs
    SET status = 'cancelled', result_class = 'cancelled', result_reason_code = 'cancelled_before_start',
        cancel_requested_at = clock_timestamp(), cancel_requested_by = $2, cancel_reason = $3,
        completed_at = clock_timestamp(), updated_at = clock_timestamp()
    WHERE id = $1 AND status = 'pending'
    RETURNING *
)
SELECT upd.*, pg_notify('syncplane_run_changed', upd.id::text) AS notified FROM upd;

-- name: request_cancel
-- Marks a running run cancelling and tells every server (one holds its executor).
WITH upd AS (
    UPDATE syncplane.runs
    SET status = 'cancelling', cancel_requested_at = clock_timestamp(),
        cancel_requested_by = $2, cancel_reason = $3, updated_at = clock_timestamp()
    WHERE id = $1 AND status = 'running'
    RETURNING *
)
SELECT upd.*, pg_notify('syncplane_cancel', upd.id::text || ':' || upd.attempt_token::text),
       pg_notify('syncplane_run_changed', upd.id::text) AS notified
FROM upd;

-- name: link_next_attempt
-- Points a finished attempt at its successor, which inherits its checkpoint
-- and, when $3, its place in the queue (an auto-resume continues the run).
WITH prev AS (
    UPDATE syncplane.runs SET next_attempt_run_id = $2, updated_at = clock_timestamp()
    WHERE id = $1
    RETURNING checkpoint, queued_at
)
UPDATE syncplane.runs
SET checkpoint = (SELECT checkpoint FROM prev),
    queued_at = CASE WHEN $3 THEN (SELECT queued_at FROM prev) ELSE queued_at END
WHERE id = $2;

-- name: checkpoint_of
-- One run's committed checkpoint (what its successor inherited).
SELECT checkpoint FROM syncplane.runs WHERE id = $1;

-- name: expired_leases
-- Attempts whose executor stopped renewing the lease, locked for the sweeper.
SELECT * FROM syncplane.runs
WHERE status IN ('running', 'cancelling') AND lease_expires_at < clock_timestamp() AND set_aside_at IS NULL
ORDER BY lease_expires_at
LIMIT 200
FOR UPDATE SKIP LOCKED;

-- name: overdue_cancels
-- Cancelling attempts past the cancel timeout, locked for the sweeper.
SELECT * FROM syncplane.runs
WHERE status = 'cancelling' AND set_aside_at IS NULL
  AND cancel_requested_at < clock_timestamp() - make_interval(secs => $1)
LIMIT 200
FOR UPDATE SKIP LOCKED;

-- name: end_attempt
-- Ends an attempt for the sweeper (no token check: the lease already ran out).
WITH upd AS (
    UPDATE syncplane.runs
    SET status = $2, result_class = $3, result_reason_code = $4, error = $5,
        completed_at = clock_timestamp(), lease_expires_at = NULL, updated_at = clock_timestamp()
    WHERE id = $1
    RETURNING *
)
SELECT upd.*, pg_notify('syncplane_run_changed', upd.id::text) AS notified FROM upd;

-- name: notify_run_changed
-- Tells watchers on every server that runs changed (comma-separated ids).
SELECT pg_notify('syncplane_run_changed', $1);

-- name: runs_of_executor
-- Non-terminal attempts assigned to an executor (for re-adoption on reconnect).
SELECT id, attempt_token, status FROM syncplane.runs
WHERE executor_id = $1 AND status IN ('running', 'cancelling');

-- name: running_of_backend
-- Attempts an execution backend runs (running or cancelling), for the
-- sweeper's poll of a backend whose liveness is polled, not leased.
SELECT * FROM syncplane.runs
WHERE execution_backend = $1 AND status IN ('running', 'cancelling') AND set_aside_at IS NULL
ORDER BY started_at
LIMIT 500;

-- name: expire_leases_now
-- Ends the leases of attempts an executor no longer runs (it restarted), so
-- the sweeper handles them at once instead of after the lease.
UPDATE syncplane.runs SET lease_expires_at = clock_timestamp() - interval '1 second'
WHERE id = ANY($1::uuid[]) AND status IN ('running', 'cancelling');

-- name: delay_run
-- Holds a pending run back for a number of seconds.
UPDATE syncplane.runs SET not_before = clock_timestamp() + make_interval(secs => $2) WHERE id = $1;

-- name: set_aside_run
-- Sets an attempt aside that could not be ended (a hook raised): the sweeper
-- skips it from now on. Only the current attempt ($2: its token, or NULL for
-- the sweeper, whose lock already proves it).
UPDATE syncplane.runs SET set_aside_at = clock_timestamp(), set_aside_reason = $3, updated_at = clock_timestamp()
WHERE id = $1 AND ($2::bigint IS NULL OR attempt_token = $2) AND status IN ('running', 'cancelling')
RETURNING *;

-- name: lock_run
-- One run by id, locked until the transaction ends (a retry decides on it).
SELECT * FROM syncplane.runs WHERE id = $1 FOR UPDATE;
