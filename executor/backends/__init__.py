"""Workers of the outside execution backends (Temporal, Prefect): each runs an
attempt with executor.attempt_runner, the same connector code as a native executor."""
