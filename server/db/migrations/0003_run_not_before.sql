-- An auto-resumed attempt after a dependency outage waits a little (1, 2, 4 s)
-- instead of burning its budget against a database that is still restarting.
ALTER TABLE syncplane.runs ADD COLUMN not_before timestamptz;
