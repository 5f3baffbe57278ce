-- name: executor_connected
-- Records that an executor connected (on any server) with a new stream.
INSERT INTO syncplane.executors (executor_id, executor_group, session_id, connected, draining, connected_at, last_seen_at)
VALUES ($1, $2, $3, true, false, clock_timestamp(), clock_timestamp())
ON CONFLICT (executor_id) DO UPDATE
SET executor_group = $2, session_id = $3, connected = true, draining = false, connected_at = clock_timestamp(),
    last_seen_at = clock_timestamp();

-- name: executor_seen
-- Records that an executor was heard from on a stream (and whether it drains).
UPDATE syncplane.executors SET last_seen_at = clock_timestamp(), draining = $3
WHERE executor_id = $1 AND session_id = $2;

-- name: executor_disconnected
-- Records that an executor's stream ended (unless a newer stream replaced it).
UPDATE syncplane.executors SET connected = false, last_seen_at = clock_timestamp()
WHERE executor_id = $1 AND session_id = $2;
