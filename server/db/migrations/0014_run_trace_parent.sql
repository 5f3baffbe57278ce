-- The W3C traceparent of an attempt's trace (its `run.trigger` span), written only when OpenTelemetry
-- tracing is on: the dispatcher and the finisher, on whichever replica, continue that trace from it.
ALTER TABLE syncplane.runs ADD COLUMN trace_parent text;
