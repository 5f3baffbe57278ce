-- Rows a background loop could not handle (a dialect hook or a delivery that
-- raised the same error every time) are set aside with the reason, instead of
-- ending the loop, the server, and then every replica that takes the same row
-- next. Later passes skip them; an operator clears set_aside_at to retry one.
ALTER TABLE syncplane.runs ADD COLUMN set_aside_at timestamptz, ADD COLUMN set_aside_reason text;
ALTER TABLE syncplane.schedules ADD COLUMN set_aside_at timestamptz, ADD COLUMN set_aside_reason text;
ALTER TABLE syncplane.jobs_outbox ADD COLUMN set_aside_at timestamptz, ADD COLUMN set_aside_reason text;
