-- Run graphs: one execution of several runs released group by group (equal
-- group = run together). The graph is the parent; each step becomes a child
-- run chain when its group is released. Every transition happens in the
-- transaction that ended the step before it (the engine's finish path), so a
-- restarted server finds the graph exactly where it was.
CREATE TABLE syncplane.run_graphs (
    id                   uuid PRIMARY KEY,
    subject_kind         text NOT NULL,
    subject_id           uuid NOT NULL,
    -- the subject's name when the graph started (it may be renamed or deleted later)
    label                text,
    status               text NOT NULL DEFAULT 'running' CHECK (status IN
                           ('running', 'cancelling', 'succeeded', 'completed_with_errors', 'failed', 'cancelled')),
    -- what a failing step whose own setting is 'inherit' does, unless the
    -- subject's hooks read a newer setting when the step fails
    on_step_failure      text NOT NULL CHECK (on_step_failure IN ('stop', 'continue')),
    triggered_by         text NOT NULL,
    trigger_ref          text,
    -- the group released last (NULL before the first release)
    current_group        integer,
    group_count          integer NOT NULL,
    -- set when a step stopped the graph: no later group is released
    stopped_by_step      integer,
    error                text,
    cancel_requested_at  timestamptz,
    cancel_requested_by  text,
    created_at           timestamptz NOT NULL DEFAULT clock_timestamp(),
    started_at           timestamptz NOT NULL DEFAULT clock_timestamp(),
    completed_at         timestamptz,
    updated_at           timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX run_graphs_subject_idx ON syncplane.run_graphs (subject_kind, subject_id, created_at DESC);
CREATE INDEX run_graphs_active_idx ON syncplane.run_graphs (subject_kind, created_at)
    WHERE status IN ('running', 'cancelling');

CREATE TABLE syncplane.run_graph_steps (
    graph_id             uuid NOT NULL REFERENCES syncplane.run_graphs(id) ON DELETE CASCADE,
    -- the step's place in the graph (0..n-1), stable for the graph's life
    position             integer NOT NULL,
    group_index          integer NOT NULL,
    on_failure           text NOT NULL CHECK (on_failure IN ('stop', 'continue', 'inherit')),
    -- the dialect's description of the step; its hooks turn it into a run on release
    params               jsonb NOT NULL DEFAULT '{}'::jsonb,
    status               text NOT NULL DEFAULT 'waiting' CHECK (status IN
                           ('waiting', 'running', 'succeeded', 'failed', 'cancelled')),
    -- the first attempt of the step's run chain, once released
    run_id               uuid UNIQUE,
    -- the setting that applied when it failed ('stop' | 'continue')
    applied_on_failure   text,
    -- why a step ended without succeeding: failed, refused, stopped, cancelled
    reason               text,
    error                text,
    released_at          timestamptz,
    ended_at             timestamptz,
    PRIMARY KEY (graph_id, position)
);
CREATE INDEX run_graph_steps_group_idx ON syncplane.run_graph_steps (graph_id, group_index);
