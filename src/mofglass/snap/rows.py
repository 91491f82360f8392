"""A frame's rows of the SNAP design matrix from LAMMPS's ``compute snap`` (energy per
atom, 3N forces, six virial rows, with the reference potential's share), their
weights, and the weighted system of a set of frames.

Units: energy rows eV/atom, forces eV/Å, stress GPa (ASE sign), in LAMMPS's frame.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from ase import Atoms
from ase.units import GPa

from ..lammps import (
    BAR,
    LAMMPSError,
    atom_types,
    lammps_module,
    load_atoms,
    new_lammps,
    stress_to_lammps_frame,
    to_lammps_frame,
)
from .settings import SNAPSettings


@dataclass
class Rows:
    """Design matrix and targets of one frame (LAMMPS frame).

    Columns: per element, its constant term then its bispectrum components. Energy row
    per atom (eV/atom), force rows (eV/Å), stress rows (GPa).
    """

    energy: np.ndarray
    forces: np.ndarray
    stress: np.ndarray
    ref_energy: float
    ref_forces: np.ndarray
    ref_stress: np.ndarray
    n_atoms: int
    rot: np.ndarray


def _compute_snap(atoms: Atoms, settings: SNAPSettings):
    """LAMMPS's ``compute snap`` array of a frame (energy, force and virial rows; the
    reference potential in the last column), the reference's pressure tensor (bar), the
    volume (Å³), LAMMPS's prism (the frame's rotation) and the atoms' types."""
    lm = lammps_module()
    lmp = new_lammps()
    try:
        types = atom_types(atoms, settings.species)  # once: typing a frame reads its graph
        prism = load_atoms(lmp, atoms, settings.species, types=types)
        lmp.commands_list(settings.reference_commands())
        lmp.command(settings.compute_command())
        # compute snap's reference column gets the virial of some pair styles wrong
        # (harmonic/cut: tens of GPa); the reference stress comes from LAMMPS's own
        # pressure compute instead, which sees only the reference potential here
        lmp.command("compute mofglass_virial all pressure NULL virial")
        lmp.command("thermo_style custom step pe c_mofglass_snap[1][1] c_mofglass_virial[1]")
        lmp.command("run 0 post no")
        array = lmp.numpy.extract_compute(
            "mofglass_snap", lm.LMP_STYLE_GLOBAL, lm.LMP_TYPE_ARRAY
        ).copy()
        pressure = lmp.numpy.extract_compute(
            "mofglass_virial", lm.LMP_STYLE_GLOBAL, lm.LMP_TYPE_VECTOR
        ).copy()
        volume = lmp.get_thermo("vol")
    except Exception as exc:
        raise LAMMPSError(f"compute snap failed: {exc}") from exc
    finally:
        lmp.close()
    return array, pressure, volume, prism, types


def frame_rows(atoms: Atoms, settings: SNAPSettings) -> Rows:
    """``compute snap`` rows of one frame, with the reference potential's share."""
    array, pressure, volume, prism, types = _compute_snap(atoms, settings)
    n = len(atoms)
    n_species = len(settings.species)
    ncoeff = (array.shape[1] - 1) // n_species
    counts = np.bincount(types, minlength=n_species + 1)[1:].astype(float)

    def with_constants(block: np.ndarray, constant: np.ndarray) -> np.ndarray:
        parts = []
        for k in range(n_species):
            parts.append(constant[:, k : k + 1])
            parts.append(block[:, k * ncoeff : (k + 1) * ncoeff])
        return np.hstack(parts)

    energy = with_constants(array[:1, :-1], counts[None, :]) / n
    forces = with_constants(array[1 : 1 + 3 * n, :-1], np.zeros((3 * n, n_species)))
    # virial rows W (eV): stress = -W / V; rows xx yy zz yz xz xy, in GPa
    virial = array[1 + 3 * n :, :-1]
    stress = with_constants(-virial / volume / GPa, np.zeros((6, n_species)))
    rot = prism.rot_mat.copy()
    ref_energy = array[0, -1] / n
    ref_forces = array[1 : 1 + 3 * n, -1].copy()
    # pressure (bar) xx yy zz xy xz yz -> stress rows (GPa) xx yy zz yz xz xy
    ref_stress = -pressure[[0, 1, 2, 5, 4, 3]] * BAR / GPa
    if settings.keepers is not None:
        k_energy, k_forces, k_stress = settings.keepers.rows(atoms, settings.species, types, rot)
        ref_energy, ref_forces, ref_stress = (
            ref_energy + k_energy,
            ref_forces + k_forces,
            ref_stress + k_stress,
        )
    if settings.pair_splines is not None:
        p_energy, p_forces, p_stress = settings.pair_splines.rows(atoms, rot)
        energy = np.hstack([energy, p_energy[None, :]])
        forces = np.hstack([forces, p_forces])
        stress = np.hstack([stress, p_stress])
    return Rows(
        energy=energy[0],
        forces=forces,
        stress=stress,
        ref_energy=ref_energy,
        ref_forces=ref_forces,
        ref_stress=ref_stress,
        n_atoms=n,
        rot=rot,
    )


@dataclass(frozen=True)
class RowWeights:
    """Weights of the residuals: energy (per eV/atom), forces (per eV/Å), stress (per
    GPa); ``element_forces`` multiplies the force weight of an element's atoms (a
    minority element, such as the 16 Zn among ZIF-4's 272 atoms, otherwise weighs
    little in the loss)."""

    energy: float = 100.0
    forces: float = 1.0
    stress: float = 1.0
    element_forces: Mapping[str, float] = field(default_factory=dict)

    def force_weights(self, atoms: Atoms) -> np.ndarray:
        """Weight of each force row of ``atoms`` (x, y, z per atom)."""
        per_atom = np.array(
            [self.forces * self.element_forces.get(s, 1.0) for s in atoms.get_chemical_symbols()]
        )
        return np.repeat(per_atom, 3)


def system(
    rows: Sequence[Rows], frames: Sequence[Atoms], weights: RowWeights
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stack rows and targets (reference potential subtracted) with their weights."""
    xs, ys, ws = [], [], []
    for r, atoms in zip(rows, frames, strict=True):
        results = atoms.calc.results
        xs.append(r.energy[None, :])
        ys.append([results["energy"] / r.n_atoms - r.ref_energy])
        ws.append([weights.energy])
        forces = to_lammps_frame(r.rot, results["forces"])
        xs.append(r.forces)
        ys.append(forces.ravel() - r.ref_forces)
        ws.append(weights.force_weights(atoms))
        if "stress" in results and weights.stress > 0:
            stress = stress_to_lammps_frame(r.rot, np.asarray(results["stress"])) / GPa
            xs.append(r.stress)
            ys.append(stress - r.ref_stress)
            ws.append(np.full(6, weights.stress))
    return np.vstack(xs), np.concatenate(ys), np.concatenate(ws)
