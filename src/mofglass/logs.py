"""Logging set-up shared by the workflow scripts."""

from __future__ import annotations

import logging
import os


def setup_logging(path: str | os.PathLike | None = None, level: int = logging.INFO) -> None:
    """Send mofglass log records to ``path`` (appending) and to stderr."""
    handlers: list[logging.Handler] = [logging.StreamHandler()]
    if path is not None:
        handlers.append(logging.FileHandler(path, mode="a"))
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        handlers=handlers,
        force=True,
    )
