"""Stage 14's section: each coexistence system's bracketed transition temperature next
to the published one, with its crystalline-fraction curves."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from ..atomicio import read_table
from .page import Section, compare


def section(
    files: Mapping[str, Sequence[str]],
    captions: Mapping[str, str],
    frameworks: Mapping[str, str] | None = None,
) -> Section | None:
    """``coexistence_tables`` (one transition row per system) and
    ``coexistence_figures``; ``frameworks``: system -> the framework whose published
    transition applies."""
    if not files.get("coexistence_tables"):
        return None
    result = Section(
        "Coexistence",
        "Direct coexistence: a crystal slab against a disordered slab of the same framework "
        "at each temperature of a ladder, NPT; the phase classifier gives the crystalline "
        "fraction, and the transition lies between the highest temperature where the "
        "crystal grew and the lowest where it shrank (half the bracket is its uncertainty).",
        captions=captions,
    )
    table = pd.concat([read_table(p) for p in files["coexistence_tables"]], ignore_index=True)
    result.tables.append(("transition temperatures", table))
    values = table.assign(
        source=table["system"],
        quantity="transition_K",
        value=pd.to_numeric(table["value_K"], errors="coerce"),
        error=pd.to_numeric(table["error_K"], errors="coerce"),
        unit="K",
    )
    parts = [
        compare(values[values["system"] == s], "coexistence", (frameworks or {}).get(s, "ZIF-4"))
        for s in table["system"]
    ]
    compared = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if len(compared):
        result.tables.append(("next to published values", compared))
        result.published.append(compared)
    result.figures += files.get("coexistence_figures", [])
    return result
