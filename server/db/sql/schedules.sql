-- name: upsert_schedule
-- Creates or replaces a subject's schedule.
INSERT INTO syncplane.schedules (subject_kind, subject_id, cron, timezone, overlap, enabled, next_fire_at)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (subject_kind, subject_id) DO UPDATE
SET cron = EXCLUDED.cron, timezone = EXCLUDED.timezone, overlap = EXCLUDED.overlap,
    enabled = EXCLUDED.enabled,
    -- a schedule set aside by the scheduler is tried again once it is saved again
    set_aside_at = NULL, set_aside_reason = NULL,
    -- keep the pending slot unless the timing itself changed
    next_fire_at = CASE WHEN schedules.cron = EXCLUDED.cron AND schedules.timezone = EXCLUDED.timezone
                        THEN schedules.next_fire_at ELSE EXCLUDED.next_fire_at END;

-- name: delete_schedule
-- Removes a subject's schedule.
DELETE FROM syncplane.schedules WHERE subject_kind = $1 AND subject_id = $2;

-- name: due_schedules
-- Due schedules, locked for this scheduler only.
SELECT * FROM syncplane.schedules
WHERE enabled AND next_fire_at <= clock_timestamp() AND set_aside_at IS NULL
ORDER BY next_fire_at
LIMIT 100
FOR UPDATE SKIP LOCKED;

-- name: fired
-- Records a fired slot and the next one.
UPDATE syncplane.schedules SET last_fired_at = $3, next_fire_at = $4
WHERE subject_kind = $1 AND subject_id = $2;

-- name: skipped
-- Records a skipped slot and the next one.
UPDATE syncplane.schedules SET last_skipped_at = $3, next_fire_at = $4
WHERE subject_kind = $1 AND subject_id = $2;

-- name: get_schedule
-- One subject's schedule.
SELECT * FROM syncplane.schedules WHERE subject_kind = $1 AND subject_id = $2;

-- name: set_aside_schedule
-- Sets aside a schedule whose slot could not be fired (its hook raised).
UPDATE syncplane.schedules SET set_aside_at = clock_timestamp(), set_aside_reason = $3
WHERE subject_kind = $1 AND subject_id = $2;
