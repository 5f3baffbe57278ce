-- Mutual exclusion with waiting (the jobs dialect's mutex_key): unlike
-- concurrency_key, which refuses a second active run, runs sharing a
-- mutex_key queue up: the dispatcher claims only the oldest pending run of a
-- key, and only while no run of that key is running. The unique index is the
-- final guard when two dispatchers race for one key.
ALTER TABLE syncplane.runs ADD COLUMN mutex_key text;
CREATE UNIQUE INDEX runs_mutex_running_key ON syncplane.runs (mutex_key)
    WHERE mutex_key IS NOT NULL AND status IN ('running', 'cancelling');
CREATE INDEX runs_mutex_pending_idx ON syncplane.runs (mutex_key, created_at)
    WHERE mutex_key IS NOT NULL AND status = 'pending';
