"""The bias as a PLUMED input (LAMMPS's PLUMED interface, where a PLUMED kernel
exists): ``UNITS LENGTH=A ENERGY=eV``, angles rad, atom indices 1-based."""

from __future__ import annotations

from collections.abc import Sequence

from .bias import POSITIONS, Bias


def _ids(atoms: Sequence[int]) -> str:
    return ",".join(str(a + 1) for a in atoms)


def plumed_input(bias: Bias, hills_file: str = "HILLS", colvar_file: str = "COLVAR") -> str:
    """The bias as a PLUMED input (units Å, eV, fs; angles rad)."""
    lines = ["# written by mofglass.enhanced", "UNITS LENGTH=A ENERGY=eV TIME=fs"]
    for cv in bias.cvs:
        if cv.type == "distance":
            lines.append(f"{cv.name}: DISTANCE ATOMS={_ids(cv.atoms)}")
        elif cv.type == "dihedral":
            lines.append(f"{cv.name}: TORSION ATOMS={_ids(cv.atoms)}")
        elif cv.type in POSITIONS:
            axis = POSITIONS[cv.type]
            lines.append(f"{cv.name}_pos: POSITION ATOM={cv.atoms[0] + 1} NOPBC")
            lines.append(
                f"{cv.name}: COMBINE ARG={cv.name}_pos.{'xyz'[axis]} "
                f"PARAMETERS={cv.origin_A[axis]!r} PERIODIC=NO"
            )
        elif cv.type == "volume":
            lines.append(f"{cv.name}: VOLUME")
        else:
            lines.append(
                f"{cv.name}: COORDINATION GROUPA={_ids(cv.groups[0])} "
                f"GROUPB={_ids(cv.groups[1])} R_0={cv.r0_A!r} NN={cv.nn} MM={cv.mm}"
            )
    joined = ",".join
    lines.append(
        f"metad: METAD ARG={joined(bias.metad_cvs)} "
        f"SIGMA={joined(repr(s) for s in bias.sigma)} HEIGHT={bias.height_eV!r} "
        f"PACE={bias.pace} BIASFACTOR={bias.bias_factor!r} TEMP={bias.temperature_K!r} "
        f"GRID_MIN={joined(repr(v) for v in bias.grid_min)} "
        f"GRID_MAX={joined(repr(v) for v in bias.grid_max)} "
        f"GRID_SPACING={joined(repr(v) for v in bias.grid_spacing)} FILE={hills_file}"
    )
    for k, wall in enumerate(bias.walls):
        kind = "UPPER_WALLS" if wall.upper else "LOWER_WALLS"
        lines.append(f"wall{k}: {kind} ARG={wall.cv} AT={wall.at!r} KAPPA={wall.kappa!r} EXP=2")
    names = ",".join(cv.name for cv in bias.cvs)
    lines.append(f"PRINT ARG={names},metad.bias STRIDE={bias.pace} FILE={colvar_file}")
    return "\n".join(lines) + "\n"
