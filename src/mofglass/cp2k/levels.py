"""Levels of theory: named CP2K method templates with per-element basis sets and overrides.

A level of theory in the config names a base method and may change anything::

    levels_of_theory:
      pbe:
        method: pbe-d3             # or gfn1-xtb
        basis: {O: DZVP-MOLOPT-SR-GTH}
        potential: {O: GTH-PBE-q6}
        overrides:                 # any CP2K keyword, cp2k-input-tools' simplified syntax
          force_eval: {dft: {mgrid: {cutoff: 800}}}

Templates are nested dictionaries in cp2k-input-tools' simplified format (lower-case
keys, sections as dictionaries, keywords as values); the final input is rendered by
:mod:`mofglass.cp2k.inputs`.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from ase.data import atomic_numbers

log = logging.getLogger(__name__)

METHODS = ("gfn1-xtb", "pbe-d3")

#: The reference work's basis sets (Castel et al. 2024): DZVP-GTH-PBE for the light
#: elements, the short-range MOLOPT basis for Zn. O is added for MOF-5 and carboxylates.
PBE_D3_BASIS = {
    "H": "DZVP-GTH-PBE",
    "C": "DZVP-GTH-PBE",
    "N": "DZVP-GTH-PBE",
    "O": "DZVP-GTH-PBE",
    "Zn": "DZVP-MOLOPT-SR-GTH",
}
#: GTH pseudopotentials for PBE, with the number of valence electrons.
PBE_D3_POTENTIAL = {
    "H": "GTH-PBE-q1",
    "C": "GTH-PBE-q4",
    "N": "GTH-PBE-q5",
    "O": "GTH-PBE-q6",
    "Zn": "GTH-PBE-q12",
}
PBE_D3_BASIS_FILES = ["BASIS_SET", "BASIS_MOLOPT"]
PBE_D3_POTENTIAL_FILE = "GTH_POTENTIALS"

#: GFN1-xTB has parameters for H to Rn.
GFN1_XTB_MAX_Z = 86


class LevelOfTheoryError(ValueError):
    """A level of theory that cannot describe a structure, or a malformed level."""


#: Ewald splitting parameter for xTB (Å^-1). CP2K's xTB default (1 bohr^-1 with a
#: 1.8 Å real-space cutoff) leaves the reciprocal sum unconverged at practical grids:
#: measured on a 17-atom cell, the energy was off by 1.1 eV, jumped by 8 meV under a
#: 0.05 % strain, and the analytical stress had the wrong sign. With 0.35 Å^-1 (real-
#: space cutoff 9.6 Å) the energy is smooth and matches the analytical stress.
XTB_EWALD_ALPHA = 0.35


def _ewald_gmax(cell_lengths: Iterable[float]) -> list[int]:
    """Odd SPME grid sizes with at least 1.6 points per Å along each cell vector.

    With alpha = 0.35 Å^-1 the largest wave vector, pi * 1.6 Å^-1, leaves
    exp(-k^2 / 4 alpha^2) below 1e-20.
    """
    out = []
    for length in cell_lengths:
        n = max(int(-(-1.6 * length // 1)), 9)
        out.append(n if n % 2 else n + 1)
    return out


def gfn1_xtb_dft(cell_lengths: Iterable[float]) -> dict:
    """The DFT section for GFN1-xTB with Ewald electrostatics and a fast OT SCF.

    OT with a short inner loop (6 steps) and a refreshed preconditioner in the outer
    loop converges ZIF-4 from the MOPAC guess in about 20 steps (measured; a single
    long inner loop needed 38).
    """
    return {
        "charge": 0,
        "qs": {
            "method": "xtb",
            "eps_default": 1.0e-10,
            "xtb": {"do_ewald": True},
        },
        "poisson": {
            "periodic": "xyz",
            "ewald": {
                "ewald_type": "spme",
                "alpha": XTB_EWALD_ALPHA,
                "gmax": _ewald_gmax(cell_lengths),
            },
        },
        "scf": {
            "scf_guess": "mopac",
            "eps_scf": 1.0e-6,
            "max_scf": 6,
            "ot": {"minimizer": "diis", "preconditioner": "full_single_inverse"},
            "outer_scf": {"max_scf": 20, "eps_scf": 1.0e-6},
        },
    }


def pbe_d3_dft() -> dict:
    """The DFT section of the reference AIMD (Castel et al. 2024, see papers.md).

    PBE + D3 pair potential (R_cut 16 Å), GTH pseudopotentials, 600 Ry cutoff with
    REL_CUTOFF 40 Ry on 4 grids, EPS_SCF 1e-5, OT/DIIS with FULL_SINGLE_INVERSE,
    EPS_DEFAULT 1e-7.
    """
    return {
        "charge": 0,
        "basis_set_file_name": list(PBE_D3_BASIS_FILES),
        "potential_file_name": PBE_D3_POTENTIAL_FILE,
        "mgrid": {"cutoff": 600, "rel_cutoff": 40, "ngrids": 4},
        "qs": {"method": "gpw", "eps_default": 1.0e-7, "extrapolation": "aspc"},
        "scf": {
            "scf_guess": "atomic",
            "eps_scf": 1.0e-5,
            "max_scf": 20,
            "ot": {"minimizer": "diis", "preconditioner": "full_single_inverse"},
            "outer_scf": {"max_scf": 10, "eps_scf": 1.0e-5},
        },
        "xc": {
            "xc_functional": {"_": "pbe"},
            "vdw_potential": {
                "potential_type": "pair_potential",
                "pair_potential": {
                    "type": "dftd3",
                    "r_cutoff": 16.0,
                    "parameter_file_name": "dftd3.dat",
                    "reference_functional": "PBE",
                },
            },
        },
    }


def deep_merge(base: Mapping, overrides: Mapping) -> dict:
    """Merge ``overrides`` into a copy of ``base``; keys compare case-insensitively.

    Nested dictionaries merge recursively; any other value replaces the old one. Keys
    of the result are lower case, except element symbols under ``kind``.
    """
    out = {k.lower() if isinstance(k, str) else k: copy.deepcopy(v) for k, v in base.items()}
    for key, value in overrides.items():
        k = key.lower() if isinstance(key, str) else key
        if k == "kind" and isinstance(value, Mapping):
            kinds = dict(out.get("kind", {}))
            for element, section in value.items():
                kinds[element] = deep_merge(kinds.get(element, {}), section)
            out["kind"] = kinds
        elif isinstance(value, Mapping) and isinstance(out.get(k), Mapping):
            out[k] = deep_merge(out[k], value)
        else:
            out[k] = copy.deepcopy(value)
    return out


@cache
def _data_file_entries(path: str, kind: str) -> frozenset[tuple[str, str]]:
    """(element, name) pairs of a CP2K basis-set or pseudopotential data file."""
    from cp2k_input_tools.basissets import BasisSetData
    from cp2k_input_tools.pseudopotentials import PseudopotentialData

    parser = BasisSetData if kind == "basis" else PseudopotentialData
    with open(path) as fh:
        return frozenset(
            (entry.element, name)
            for entry in parser.datafile_iter(fh)
            for name in entry.identifiers
        )


@dataclass(frozen=True)
class LevelOfTheory:
    """A named CP2K level of theory: a base method plus per-element data and overrides."""

    name: str
    method: str
    basis: dict[str, str] = field(default_factory=dict)
    potential: dict[str, str] = field(default_factory=dict)
    overrides: dict = field(default_factory=dict)

    @classmethod
    def from_config(cls, name: str, block: Mapping) -> LevelOfTheory:
        """Build from a ``levels_of_theory.<name>`` config block."""
        method = block["method"]
        if method not in METHODS:
            raise LevelOfTheoryError(
                f"level of theory {name!r}: unknown method {method!r}; choose from {METHODS}"
            )
        basis, potential = {}, {}
        if method == "pbe-d3":
            basis, potential = dict(PBE_D3_BASIS), dict(PBE_D3_POTENTIAL)
        basis.update(block.get("basis", {}))
        potential.update(block.get("potential", {}))
        return cls(name, method, basis, potential, dict(block.get("overrides", {})))

    def check_elements(self, elements: Iterable[str], data_dir: str | Path | None = None) -> None:
        """Raise :class:`LevelOfTheoryError` if an element cannot be described.

        For ``pbe-d3`` every element needs a basis set and a pseudopotential; when
        ``data_dir`` (CP2K's data directory) exists, their names are also looked up in
        its data files with cp2k-input-tools' parsers.
        """
        elements = sorted(set(elements), key=lambda s: atomic_numbers[s])
        if self.method == "gfn1-xtb":
            bad = [e for e in elements if atomic_numbers[e] > GFN1_XTB_MAX_Z]
            if bad:
                raise LevelOfTheoryError(
                    f"level of theory {self.name!r} (GFN1-xTB) has no parameters for "
                    f"{', '.join(bad)} (GFN1-xTB covers H to Rn)"
                )
            return
        for table, what, key in (
            (self.basis, "basis set", "basis"),
            (self.potential, "pseudopotential", "potential"),
        ):
            missing = [e for e in elements if e not in table]
            if missing:
                raise LevelOfTheoryError(
                    f"level of theory {self.name!r} has no CP2K {what} for element(s) "
                    f"{', '.join(missing)}; add one under levels_of_theory.{self.name}.{key}, "
                    f"e.g. {key}: {{{missing[0]}: <name in CP2K's data files>}}"
                )
        if data_dir is None or not Path(data_dir).is_dir():
            log.warning("CP2K data directory %s not found: basis names not checked", data_dir)
            return
        data_dir = Path(data_dir)
        basis_entries = set()
        for fname in PBE_D3_BASIS_FILES:
            if (data_dir / fname).is_file():
                basis_entries |= _data_file_entries(str(data_dir / fname), "basis")
        pot_entries = _data_file_entries(str(data_dir / PBE_D3_POTENTIAL_FILE), "potential")
        for element in elements:
            if (element, self.basis[element]) not in basis_entries:
                raise LevelOfTheoryError(
                    f"level of theory {self.name!r}: basis set {self.basis[element]} for "
                    f"{element} is not in {', '.join(PBE_D3_BASIS_FILES)} under {data_dir}"
                )
            if (element, self.potential[element]) not in pot_entries:
                raise LevelOfTheoryError(
                    f"level of theory {self.name!r}: pseudopotential {self.potential[element]} "
                    f"for {element} is not in {PBE_D3_POTENTIAL_FILE} under {data_dir}"
                )

    def dft_section(self, cell_lengths: Iterable[float]) -> dict:
        """The ``FORCE_EVAL/DFT`` section of the base method (before overrides)."""
        if self.method == "gfn1-xtb":
            return gfn1_xtb_dft(cell_lengths)
        return pbe_d3_dft()

    def kinds(self, elements: Iterable[str]) -> dict[str, dict]:
        """``FORCE_EVAL/SUBSYS/KIND`` entries keyed by element (empty for xTB)."""
        if self.method == "gfn1-xtb":
            return {}
        return {
            e: {"basis_set": self.basis[e], "potential": self.potential[e]}
            for e in sorted(set(elements))
        }
