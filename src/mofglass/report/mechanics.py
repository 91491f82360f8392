"""Stage 11's section: every model's mechanical and thermal scalars, next to the
published values, with each sample's figures."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..atomicio import read_table
from .page import Section, compare


def section(
    files: Mapping[str, Sequence[str]],
    models: Sequence[str],
    kinds: Mapping[str, str],
    captions: Mapping[str, str],
    frameworks: Mapping[str, str] | None = None,
) -> Section | None:
    """``models`` in the order of ``mechanics_summaries``; ``kinds``: sample group ->
    crystal, glass or set; ``frameworks``: sample group -> the framework whose
    published values apply (ZIF-4 where not named); ``mechanics_figures``."""
    if not files.get("mechanics_summaries"):
        return None
    result = Section(
        "Mechanics",
        "Bulk modulus from the P(V) scan (Birch-Murnaghan: K_PV from NVT at the scan's "
        "temperature with rho0 and V0; K_PV_0K, rho0_0K, V0_0K from cells relaxed at each "
        "volume, static values) and from strain and "
        "volume fluctuations (Voigt, Reuss, Hill), Young's and shear moduli and Poisson's "
        "ratio, thermal expansion coefficients (1/K) at the scan's temperature, and the "
        "VDOS. Errors: fit standard errors, block averages of one run, standard errors "
        "over replicas. A sample without numbers says why in its figures.",
        captions=captions,
    )
    for model, path in zip(models, files["mechanics_summaries"], strict=True):
        table = read_table(path)
        result.tables.append((f"{model}: every sample", table))
        table = table.assign(source=model + "/" + table["sample"].astype(str))
        for group, kind in kinds.items():
            part = table[table["group"] == group]
            if (part["n"] > 1).any():  # a group of samples: its mean over them
                part = part[part["n"] > 1]
            framework = (frameworks or {}).get(group, "ZIF-4")
            compared = compare(part, f"mechanics-{kind}", framework)
            if len(compared):
                result.tables.append((f"{model}, {group}: next to published values", compared))
                if kind != "glass":
                    result.published.append(compared)
    result.figures += files.get("mechanics_figures", [])
    return result
