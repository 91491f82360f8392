"""The config's MD check and cost blocks checked against the rest of the config."""

from __future__ import annotations

from collections.abc import Iterator

from .protocol import Stage


def config_errors(config: dict) -> Iterator[str]:
    """MD blocks on structures the config lacks, or check stages that are no stage."""
    md = config.get("md", {})
    for part in ("check", "cost"):
        structure = md.get(part, {}).get("structure")
        if structure is not None and structure not in config.get("structures", {}):
            yield f"md.{part}.structure: no structure {structure!r}"
    for k, stage in enumerate(md.get("check", {}).get("stages", [])):
        try:
            Stage.from_config(stage)
        except (TypeError, ValueError) as exc:
            yield f"md.check.stages[{k}]: {exc}"
