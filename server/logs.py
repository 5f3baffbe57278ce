"""structlog setup: JSON lines in production, readable console in a terminal."""

from __future__ import annotations

import logging
import os
import sys

import structlog


def configure(component: str, *, json: bool | None = None) -> None:
    level_name = os.environ.get("SYNCPLANE_LOG_LEVEL", "INFO").upper()
    level = getattr(logging, level_name, logging.INFO)
    as_json = (not sys.stderr.isatty()) if json is None else json
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer() if as_json else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
    structlog.contextvars.bind_contextvars(component=component)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
