"""Operations: Prometheus metrics (metrics), OpenTelemetry traces (tracing), run log context (run_context)."""
