-- name: subscribers
-- Active webhooks that want an event: those of the environment subscribed to
-- it (or to "*"), plus the run's own webhook for a webhook run.
SELECT id FROM syncplane.jobs_webhooks
WHERE is_active AND (
    (environment_id = $2 AND ($1 = ANY(event_types) OR '*' = ANY(event_types)))
    OR id = $3::uuid);

-- name: enqueue
-- Adds an event of run $5 for a webhook; an event already there (same id) is kept as is.
INSERT INTO syncplane.jobs_outbox (event_id, webhook_id, event, body, run_id)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (event_id, webhook_id) DO NOTHING
RETURNING id;

-- name: notify_outbox
-- Wakes the deliverers of every server.
SELECT pg_notify('syncplane_jobs_outbox', '');

-- name: claim_due
-- Locks up to $1 due deliveries of active webhooks, oldest first; a row is
-- pushed out by a lease ($2 s) so a crashed deliverer's row comes back.
WITH due AS (
    SELECT o.id FROM syncplane.jobs_outbox o
    JOIN syncplane.jobs_webhooks w ON w.id = o.webhook_id AND w.is_active
    WHERE o.status = 'pending' AND o.next_attempt_at <= clock_timestamp() AND o.set_aside_at IS NULL
    ORDER BY o.next_attempt_at, o.id
    LIMIT $1
    FOR UPDATE OF o SKIP LOCKED
)
UPDATE syncplane.jobs_outbox o
SET next_attempt_at = clock_timestamp() + make_interval(secs => $2), attempts = o.attempts + 1
FROM due, syncplane.jobs_webhooks w, syncplane.credentials c
WHERE o.id = due.id AND w.id = o.webhook_id AND c.id = w.credential_id
RETURNING o.id, o.event_id, o.event, o.body, o.attempts, o.webhook_id, w.target_url,
          c.id AS credential_id, c.key_id, c.sealed, c.secrets;

-- name: log_attempt
-- Records one delivery attempt.
INSERT INTO syncplane.jobs_delivery_log (outbox_id, attempt, http_status, error, duration_ms)
VALUES ($1, $2, $3, $4, $5);

-- name: delivered
-- Marks a delivery done and resets its webhook's failure count.
WITH o AS (
    UPDATE syncplane.jobs_outbox SET status = 'delivered', delivered_at = clock_timestamp(), last_error = NULL
    WHERE id = $1 RETURNING webhook_id
)
UPDATE syncplane.jobs_webhooks w SET consecutive_failures = 0 FROM o WHERE w.id = o.webhook_id;

-- name: retry_later
-- Schedules the next attempt of a delivery after a backoff.
UPDATE syncplane.jobs_outbox
SET next_attempt_at = clock_timestamp() + make_interval(secs => $2), last_error = $3
WHERE id = $1;

-- name: given_up
-- Ends a delivery whose retries ran out; counts it against its webhook and
-- deactivates the webhook after $3 such failures in a row. Returns the webhook.
WITH o AS (
    UPDATE syncplane.jobs_outbox SET status = 'failed', last_error = $2
    WHERE id = $1 RETURNING webhook_id
)
UPDATE syncplane.jobs_webhooks w
SET consecutive_failures = w.consecutive_failures + 1,
    is_active = w.is_active AND w.consecutive_failures + 1 < $3,
    updated_at = clock_timestamp()
FROM o WHERE w.id = o.webhook_id
RETURNING w.id, w.is_active, w.consecutive_failures;

-- name: deliveries_of
-- The outbox rows and attempts of an event (for operators and tests).
SELECT o.*, (SELECT count(*) FROM syncplane.jobs_delivery_log l WHERE l.outbox_id = o.id) AS logged
FROM syncplane.jobs_outbox o WHERE o.event_id = $1 ORDER BY o.id;

-- name: set_aside
-- Sets aside a delivery that could not be attempted or recorded (the same
-- error every time): it is not claimed again.
UPDATE syncplane.jobs_outbox SET set_aside_at = clock_timestamp(), set_aside_reason = $2 WHERE id = $1;

-- name: run_deliveries
-- A page of run $1's deliveries in queue order after outbox id $2 (0: from the start), optionally of one
-- webhook ($3) and status ($4), with the target they went to and their attempts (oldest first).
SELECT o.id, o.event_id, o.event, o.webhook_id, o.status, o.attempts, o.last_error, o.created_at,
       o.delivered_at, o.next_attempt_at, o.set_aside_at, o.body, w.target_url,
       coalesce((SELECT jsonb_agg(jsonb_build_object('attempt', l.attempt, 'http_status', l.http_status,
                                                     'error', l.error, 'duration_ms', l.duration_ms, 'at', l.at)
                                  ORDER BY l.id)
                 FROM syncplane.jobs_delivery_log l WHERE l.outbox_id = o.id), '[]'::jsonb) AS log
FROM syncplane.jobs_outbox o
LEFT JOIN syncplane.jobs_webhooks w ON w.id = o.webhook_id
WHERE o.run_id = $1 AND o.id > $2 AND ($3::uuid IS NULL OR o.webhook_id = $3)
  AND ($4::text IS NULL OR o.status = $4)
ORDER BY o.id
LIMIT $5;
