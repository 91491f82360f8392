"""A SNAP's bispectrum settings and the LAMMPS lines and files that load it: the
``compute snap`` line, the reference potential's pair styles, the snapparam and
snapcoeff texts.

Units: Å, eV.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from ase.data import atomic_numbers

from .reference import ZBL, Keepers, PairSplines, Walls, type_pairs

COEFF_FILE = "mofglass.snapcoeff"
TABLE_FILE = "mofglass.pairtable"
KEEPER_FILE = "mofglass.keepers"
PARAM_FILE = "mofglass.snapparam"


@dataclass(frozen=True)
class SNAPSettings:
    """Bispectrum settings: cutoff of a pair i-j is ``rcutfac * (R_i + R_j)`` (Å)."""

    species: tuple[str, ...]
    twojmax: int = 6
    quadratic: bool = False  # LAMMPS's quadraticflag: products of bispectrum components
    rcutfac: float = 4.5
    rfac0: float = 0.99363
    rmin0: float = 0.0
    radii: Mapping[str, float] = field(default_factory=dict)
    weights: Mapping[str, float] = field(default_factory=dict)
    zbl: ZBL | None = None
    walls: Walls | None = None
    pair_splines: PairSplines | None = None
    keepers: Keepers | None = None

    @property
    def n_extra(self) -> int:
        """Columns after the per-element SNAP blocks (the pair splines')."""
        return self.pair_splines.n_columns if self.pair_splines else 0

    def _lists(self) -> tuple[str, str]:
        radii = " ".join(repr(float(self.radii[s])) for s in self.species)
        weights = " ".join(repr(float(self.weights[s])) for s in self.species)
        return radii, weights

    def compute_command(self, name: str = "mofglass_snap") -> str:
        radii, weights = self._lists()
        return (
            f"compute {name} all snap {self.rcutfac!r} {self.rfac0!r} {self.twojmax} "
            f"{radii} {weights} rmin0 {self.rmin0!r} bzeroflag 0 "
            f"quadraticflag {int(self.quadratic)} switchflag 1"
        )

    def cutoff(self) -> float:
        """The longest pair cutoff (Å)."""
        return self.rcutfac * 2 * max(float(self.radii[s]) for s in self.species)

    def _reference(self) -> tuple[list[str], list[str]]:
        """Sub-styles of the reference potential and their coefficient lines."""
        styles, lines = [], []
        if self.walls is not None:
            styles.append("harmonic/cut")
            lines += self.walls.commands(self.species)
        if self.zbl is not None:
            styles.append(f"zbl {self.zbl.inner_A!r} {self.zbl.outer_A!r}")
            lines += self._zbl_coeffs()
        return styles, lines

    def reference_commands(self) -> list[str]:
        """Pair style active while computing descriptors: the reference part (walls,
        ZBL), or nothing (the ``zero`` style only provides a neighbour list as long as
        the SNAP cutoff)."""
        zero = f"zero {self.cutoff() + 0.01!r}"
        styles, lines = self._reference()
        if not styles:
            return [f"pair_style {zero}", "pair_coeff * *"]
        return [
            f"pair_style hybrid/overlay {zero} {' '.join(styles)}",
            "pair_coeff * * zero",
        ] + lines

    def _zbl_coeffs(self) -> list[str]:
        """ZBL on each element pair named: every pair of LAMMPS types of those elements."""
        lines = []
        for a, b in self.zbl.pairs:
            for i, j in type_pairs(self.species, a, b):
                lines.append(f"pair_coeff {i} {j} zbl {atomic_numbers[a]} {atomic_numbers[b]}")
        return lines

    def pair_commands(self, directory: str = ".") -> list[str]:
        """The lines that load the fitted model (files in ``directory``)."""
        files = f"{directory}/{COEFF_FILE} {directory}/{PARAM_FILE} {' '.join(self.species)}"
        styles, lines = self._reference()
        both = self.pair_splines is not None and self.keepers is not None
        if self.pair_splines is not None:
            styles.append(self.pair_splines.style())
            lines += self.pair_splines.commands(
                self.species, f"{directory}/{TABLE_FILE}", "table 1" if both else "table"
            )
        if self.keepers is not None:
            styles.append(self.keepers.style())
            lines += self.keepers.commands(
                self.species, f"{directory}/{KEEPER_FILE}", "table 2" if both else "table"
            )
        if not styles:
            return ["pair_style snap", f"pair_coeff * * {files}"]
        return [
            f"pair_style hybrid/overlay {' '.join(styles)} snap",
            f"pair_coeff * * snap {files}",
            *lines,
        ]

    def pair_styles(self) -> list[str]:
        styles = ["snap"]
        if self.walls is not None:
            styles.append("harmonic/cut")
        if self.zbl is not None:
            styles.append("zbl")
        if self.pair_splines is not None or self.keepers is not None:
            styles.append("table")
        return styles if len(styles) == 1 else [*styles, "hybrid/overlay"]

    def param_text(self) -> str:
        return (
            "# mofglass SNAP parameters\n"
            f"rcutfac {self.rcutfac!r}\ntwojmax {self.twojmax}\nrfac0 {self.rfac0!r}\n"
            f"rmin0 {self.rmin0!r}\nbzeroflag 0\nquadraticflag {int(self.quadratic)}\n"
            "switchflag 1\n"
        )

    def coeff_text(self, coefficients: np.ndarray) -> str:
        """The snapcoeff file: per element its radius, weight, constant term and the
        bispectrum coefficients (eV), at full precision."""
        per = coefficients[: coefficients.size - self.n_extra].reshape(len(self.species), -1)
        lines = ["# mofglass SNAP coefficients (eV)", "", f"{len(self.species)} {per.shape[1]}"]
        for symbol, row in zip(self.species, per, strict=True):
            lines.append(f"{symbol} {float(self.radii[symbol])!r} {float(self.weights[symbol])!r}")
            lines += [f"{c:.17e}" for c in row]
        return "\n".join(lines) + "\n"
