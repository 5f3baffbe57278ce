-- The run's own facts are the engine's: where an attempt's resume state is
-- kept (its state root) and its run mode are columns, not keys the engine
-- wrote into the dialect's spec. A chain's state root is its first attempt,
-- unless a retry of a succeeded chain gave it a fresh one (a new intent must
-- not resume the old chain's progress). The dialect renders run_mode into
-- its executor's plan when the run is assigned.
ALTER TABLE syncplane.runs ADD COLUMN state_root uuid;
UPDATE syncplane.runs
SET state_root = coalesce((spec->>'stateRoot')::uuid, attempt_root_run_id, id),
    run_mode = coalesce(spec->>'runMode', run_mode),
    spec = spec - 'stateRoot' - 'runMode';
ALTER TABLE syncplane.runs ALTER COLUMN state_root SET NOT NULL;
