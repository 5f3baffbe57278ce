-- Cron schedules of any subject kind; the scheduler claims due rows with
-- SKIP LOCKED, so with several servers each slot fires once.
CREATE TABLE syncplane.schedules (
    subject_kind   text NOT NULL,
    subject_id     uuid NOT NULL,
    cron           text NOT NULL,
    timezone       text NOT NULL DEFAULT 'UTC',
    -- skip: a slot that finds a run still going is skipped; wait: it fires
    -- once that run ends.
    overlap        text NOT NULL DEFAULT 'skip' CHECK (overlap IN ('skip', 'wait')),
    enabled        boolean NOT NULL DEFAULT true,
    next_fire_at   timestamptz NOT NULL,
    last_fired_at  timestamptz,
    last_skipped_at timestamptz,
    PRIMARY KEY (subject_kind, subject_id)
);
CREATE INDEX schedules_due_idx ON syncplane.schedules (next_fire_at) WHERE enabled;
