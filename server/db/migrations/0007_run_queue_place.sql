-- A run chain keeps its place in the queue: an auto-resumed attempt (its
-- executor died, its lease ran out) is claimed in the order its chain was
-- first queued, not behind every run triggered since. Without this, a crash
-- under a backlog left the interrupted run waiting for the whole backlog.
-- created_at stays the attempt's own creation time (what clients see).
ALTER TABLE syncplane.runs ADD COLUMN queued_at timestamptz;
UPDATE syncplane.runs SET queued_at = created_at;
ALTER TABLE syncplane.runs
    ALTER COLUMN queued_at SET DEFAULT clock_timestamp(),
    ALTER COLUMN queued_at SET NOT NULL;
DROP INDEX syncplane.runs_pending_idx;
CREATE INDEX runs_pending_idx ON syncplane.runs (executor_group, queued_at) WHERE status = 'pending';
