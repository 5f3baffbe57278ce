-- Identity schedules: run profiles as the steps of a schedule, run as an
-- engine run graph (syncplane.run_graphs, subject kind "identity_schedule");
-- a Cron schedule's timing lives in syncplane.schedules like every other kind's.
CREATE TABLE syncplane.idm_schedules (
    id                     uuid PRIMARY KEY,
    name                   text NOT NULL,
    description            text,
    trigger_type           text NOT NULL CHECK (trigger_type IN ('Manual', 'Cron')),
    cron_expression        text,
    -- an extension of the reference (which evaluates cron in UTC only)
    time_zone              text NOT NULL DEFAULT 'UTC',
    -- the portal's pattern fields, kept as given; only the cron is evaluated
    pattern_type           text,
    days_of_week           text,
    run_times              text,
    interval_value         integer,
    interval_unit          text,
    interval_window_start  text,
    interval_window_end    text,
    is_enabled             boolean NOT NULL DEFAULT false,
    on_step_failure        text NOT NULL DEFAULT 'Stop' CHECK (on_step_failure IN ('Stop', 'Continue')),
    created_at             timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at             timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX idm_schedules_name_idx ON syncplane.idm_schedules (lower(name));

CREATE TABLE syncplane.idm_schedule_steps (
    id                   uuid PRIMARY KEY,
    schedule_id          uuid NOT NULL REFERENCES syncplane.idm_schedules(id) ON DELETE CASCADE,
    -- the step's place in the body it was saved from (order within a group)
    position             integer NOT NULL,
    step_index           integer NOT NULL,
    name                 text,
    execution_mode       text NOT NULL DEFAULT 'Sequential',
    step_type            text NOT NULL CHECK (step_type = 'RunProfile'),
    on_failure           text NOT NULL DEFAULT 'FollowSchedule'
                           CHECK (on_failure IN ('FollowSchedule', 'Stop', 'Continue')),
    timeout_seconds      integer,
    -- checked when saved and again when the step is released (no foreign key:
    -- a deleted run profile makes the step fail, not the schedule vanish)
    connected_system_id  integer NOT NULL,
    run_profile_id       integer NOT NULL
);
CREATE INDEX idm_schedule_steps_schedule_idx ON syncplane.idm_schedule_steps (schedule_id, step_index, position);

-- A step's activity names its execution, step and schedule.
ALTER TABLE syncplane.idm_activities
    ADD COLUMN schedule_execution_id uuid,
    ADD COLUMN schedule_step_index integer,
    ADD COLUMN scheduled_by_schedule_id uuid,
    ADD COLUMN scheduled_by_schedule_name text;
CREATE INDEX idm_activities_schedule_idx ON syncplane.idm_activities (scheduled_by_schedule_id, created_at DESC)
    WHERE scheduled_by_schedule_id IS NOT NULL;
