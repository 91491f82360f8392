"""Stage 4's section: the splits of every dataset and the energy distributions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from ..atomicio import read_table
from .page import Section


def section(files: Mapping[str, Sequence[str]], captions: Mapping[str, str]) -> Section:
    """``selection_tables``: each dataset's ``selection.csv``; ``selection_figures``."""
    result = Section(
        "Selection", "Potential energy per atom of the pool and of each split.", captions=captions
    )
    for path in files.get("selection_tables", []):
        table = read_table(path)
        counts = table["split"].value_counts().rename_axis("split").reset_index(name="frames")
        name = Path(path).parent.name
        result.tables.append((f"dataset {name} ({table['selector'].iloc[0]})", counts))
    result.figures += files.get("selection_figures", [])
    return result
