"""Logging set-up shared by the workflow scripts."""

from __future__ import annotations

import atexit
import logging
import os
import sys

from . import timing

log = logging.getLogger("mofglass")


def _log_timing() -> None:
    log.info("%s", timing.summary())


def setup_logging(path: str | os.PathLike | None = None, level: int = logging.INFO) -> None:
    """Send mofglass log records to ``path`` (appending) and to stderr.

    An exception that ends the job is written to the log too, so that the job's log
    file says why it failed.
    """
    handlers: list[logging.Handler] = [logging.StreamHandler()]
    if path is not None:
        handlers.append(logging.FileHandler(path, mode="a"))
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        handlers=handlers,
        force=True,
    )

    def log_uncaught(exc_type, exc, tb):
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        # to the log file and stderr alike; Python still exits with status 1
        log.critical("job failed: %s: %s", exc_type.__name__, exc, exc_info=(exc_type, exc, tb))

    sys.excepthook = log_uncaught
    # the job's last line: where its time went (bench/overhead.py sums these); once,
    # however often logging is set up in the process
    atexit.unregister(_log_timing)
    atexit.register(_log_timing)
    from . import __file__ as package_file
    from . import __version__

    log.info("mofglass %s from %s", __version__, os.path.dirname(package_file))
