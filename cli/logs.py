"""structlog set-up for the composition roots, on stderr: readable lines for people, or JSON for machines."""

from __future__ import annotations

import logging
import sys

import structlog


def configure_logging(level: int = logging.INFO, log_format: str = "console") -> None:
    """`log_format` is GRANTS_LOG_FORMAT: `console` or `json` (one object a line, exceptions as text)."""
    renderer: list[structlog.typing.Processor] = (
        [structlog.processors.format_exc_info, structlog.processors.JSONRenderer(ensure_ascii=False)]
        if log_format == "json"
        else [structlog.dev.ConsoleRenderer(colors=False)]
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            *renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
    logging.basicConfig(level=max(level, logging.WARNING), stream=sys.stderr)
