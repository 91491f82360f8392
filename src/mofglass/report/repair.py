"""Stage 2's section: each repaired level, its DFT points, the fit and the pull test
before and after."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from ..atomicio import read_table
from .page import Section


def fit_table(terms: Sequence[str]) -> pd.DataFrame:
    """One row per repaired level: its base, DFT level and points, and the force and
    energy errors against DFT of base and repaired on the training and held-out points
    (meV/Å, meV/atom)."""
    rows = []
    for path in terms:
        record = json.loads(Path(path).read_text())
        row = {
            "level": record["level"],
            "base": record["base_level"],
            "DFT": record["dft_level"],
            "points": record["points"],
            "shipped points": record.get("shipped") or "computed in this run",
            "ridge": record["ridge"],
        }
        for split in ("train", "test"):
            for which in ("base", "repaired"):
                e = record["errors"][f"{which}_{split}"]
                row[f"{which} force RMSE, {split} (meV/Å)"] = 1e3 * e["force_rmse_eV_per_A"]
                row[f"{which} energy RMSE, {split} (meV/atom)"] = 1e3 * e["energy_rmse_eV_per_atom"]
        rows.append(row)
    return pd.DataFrame(rows)


def pull_share(dft: pd.DataFrame) -> pd.DataFrame:
    """The pull test on the DFT points as shares of DFT's energy at each stretch (%)."""
    out = dft[dft["stretch_A"] != 0].copy()
    for which in ("base", "repaired"):
        out[f"{which} share of DFT (%)"] = 100 * out[f"{which}_energy_eV"] / out["dft_energy_eV"]
    return out.rename(
        columns={
            "stretch_A": "stretch (Å)",
            "dft_energy_eV": "DFT (eV)",
            "base_energy_eV": "base (eV)",
            "repaired_energy_eV": "repaired (eV)",
        }
    )


def first_screen(level: str, dft: pd.DataFrame) -> pd.DataFrame:
    """The pull test at the stretch nearest 1 Å, base and repaired as shares of DFT (%),
    for the summary's table of answers next to their references."""
    stretched = dft[dft["stretch_A"] > 0]
    if not len(stretched):
        return pd.DataFrame()
    row = stretched.iloc[(stretched["stretch_A"] - 1.0).abs().argmin()]
    quantity = f"metal–donor pull energy at {row['stretch_A']:.2f} Å, share of DFT's"
    return pd.DataFrame(
        [
            {
                "source": f"{level} ({which})",
                "quantity": quantity,
                "value": 100 * row[f"{which}_energy_eV"] / row["dft_energy_eV"],
                "error": float("nan"),
                "unit": "%",
                "published": 100.0,
                "published_error": float("nan"),
                "published_in": "the repair's DFT single points",
            }
            for which in ("base", "repaired")
        ]
    )


def section(files: Mapping[str, Sequence[str]], captions: Mapping[str, str]) -> Section | None:
    """``repair_terms``, ``repair_dft_pulls``, ``repair_pulls``, ``repair_figures``:
    per repaired level."""
    terms = files.get("repair_terms", [])
    if not terms:
        return None
    result = Section(
        "Repaired levels",
        "Each repaired level is a calculator level (its base) plus a pair term on its soft "
        "bond, fitted by linear least squares to the difference between DFT single points "
        "of the structure (its cell, or fragments cut from it) and the base level on the "
        "same points "
        "(every fourth point held out; a term that makes the held-out points worse is "
        "refused). The pull test moves one metal off its donor, everything else fixed: "
        "on the DFT points against DFT, and in the structure (where the points are not "
        "the cell) base against repaired.",
        captions=captions,
    )
    result.tables.append(("fit", fit_table(terms)))
    for path in files.get("repair_dft_pulls", []):
        level = Path(path).parent.name
        points = read_table(path)
        result.tables.append((f"{level}: pull test on the DFT points", pull_share(points)))
        result.published.append(first_screen(level, points))
    for path in files.get("repair_pulls", []):
        level = Path(path).parent.name
        table = read_table(path).rename(
            columns=lambda c: (
                c.replace("_eV_per_A", " (eV/Å)").replace("_eV", " (eV)").replace("_A", " (Å)")
            )
        )
        result.tables.append((f"{level}: pull test in the structure", table))
    result.figures.extend(files.get("repair_figures", []))
    return result
