"""What a run needs that this machine does not have yet: model families, calculator
levels and published model files.

Planning needs none of them: a dry run, ``mofglass cost`` and ``mofglass status`` read
only the config and the DAG, so a user plans on a login node before installing
anything. The workflow lists what is missing as what the run will need, each with how
to get it; a job that needs one stops there with the same message (raised by the
family, the calculator level or the published model's job itself).
"""

from __future__ import annotations

from collections.abc import Mapping

from . import families, levels


def of(config: Mapping, software: bool = True) -> list[str]:
    """One line per missing thing: families and calculator levels (``software``: False
    where conda deploys them) and published model files."""
    out = families.missing(config) + levels.missing(config) if software else []
    for name, block in config.get("models", {}).items():
        if block["type"] == "published":
            problem = families.published_file_problem(name, block)
            if problem:
                out.append(problem)
    return out


def render(needed: list[str]) -> str:
    """The note a plan prints: what the run will need before the jobs that use it."""
    lines = "\n".join(f"  - {line}" for line in needed)
    return (
        "This run will need what is not here yet (planning does not; a job that needs "
        f"one stops with its line):\n{lines}"
    )
