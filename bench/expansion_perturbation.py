"""The teacher's thermal expansion through the student's NPT ensemble (issue 35; bench/
README.md, "Whose expansion").

NPT MD with the teacher (SevenNet-0 + D3, ~3 s a step on ZIF-8's 138 atoms here) cannot
reach α_L; the Γ-point quasi-harmonic route (bench/expansion_levels.py) misses the
student's own NPT α_L of ZIF-8 by tens of 1e-6 /K (methyl rotors and soft librations
are not harmonic). This bench asks instead how the teacher's pressure differs from the
student's on the student's own NPT frames at each temperature, to first order in the
difference of the two potentials (thermodynamic perturbation):

    V_teacher(T) ≈ V_student(T) (1 + <ΔP>_T / B),   ΔP = P_teacher - P_student,

so that α_teacher ≈ α_student + (1 / 3B) d<ΔP>/dT, with B the isothermal bulk modulus
at temperature (GPa; the student's K_PV of its P-V scan at 300 K: the static B0 of
E0(V), twice as stiff for these frameworks, undercorrects). The kinetic pressure is the
same for both on the same frame and cancels: ΔP is the difference of the potentials'
virial pressures, -trace(σ_t - σ_s)/3 (ASE's stress sign).
Valid while the ensembles overlap (|<ΔP>| / B of a few per cent at most; printed).

    # 1. the student's NPT frames and its stress on them (main environment)
    .venv/bin/python bench/expansion_perturbation.py sample MODEL.json STRUCT.extxyz \\
        --work OUT --temperatures 100 200 300 400
    # 2. a teacher's stress on the same frames (its own Python; a level spec of
    #    bench/expansion_levels.py's prepare)
    .venvs/sevenn/bin/python bench/expansion_perturbation.py teacher OUT --spec SPEC.json
    #    (or --model OTHER.json --name other: a second student, the method's check)
    # 3. α_L of that teacher, given the student's (1/K) and a bulk modulus (GPa)
    .venv/bin/python bench/expansion_perturbation.py alpha OUT --name sevennet \\
        --alpha-student 17.0e-6 --alpha-student-err 2.6e-6 --bulk-modulus 5.73

Units: Å, eV, ps, K; pressures and B in GPa.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import ase.io
import numpy as np
from ase import units


def pressure_GPa(stress: np.ndarray) -> float:
    """The virial pressure (GPa) of an ASE stress (Voigt, eV/Å³; tension positive)."""
    return float(-np.mean(np.asarray(stress)[:3]) / units.GPa)


def sample(model_file: Path, structure: Path, work: Path, temperatures, frames: int) -> None:
    from mofglass.md import recipes, run_md
    from mofglass.models import load_model

    model = load_model(model_file)
    crystal = ase.io.read(structure)
    block = {
        "equilibration_ps": 2.0,
        "production_ps": 10.0,
        "timestep_fs": 1.0,
        "thermo_every": 10,
        "segment_ps": 5.0,
    }
    for temperature in temperatures:
        out = work / f"T{temperature:g}.extxyz"
        if out.exists():
            continue
        every = int(block["production_ps"] * 1000 / block["timestep_fs"] / frames)
        damping = {"thermostat_damping_fs": 100.0, "barostat_damping_fs": 1000.0}
        protocol = recipes.equilibrate_then_produce(
            block, "npt", temperature, damping, 7, 3.0, cell="iso", dump_every=every
        )
        result = run_md(crystal, model, protocol, work / f"md_T{temperature:g}")
        kept = [a for a in result.frames if a.info.get("time_ps", 0.0) > block["equilibration_ps"]]
        if result.verdict != "ok":
            print(f"T {temperature:g} K: {result.verdict} ({result.reason}); frames before it kept")
        predicted = model.predict(kept)
        for atoms, done in zip(kept, predicted, strict=True):
            atoms.info["student_stress"] = done.get_stress(voigt=True).tolist()
            atoms.info["temperature_K"] = float(temperature)
            atoms.calc = None
        tmp = out.with_name(out.name + ".tmp.extxyz")
        ase.io.write(tmp, kept)
        tmp.replace(out)
        volumes = [a.get_volume() for a in kept]
        print(f"T {temperature:g} K: {len(kept)} frames, <V> {np.mean(volumes):.1f} A^3")


def _level_stress(spec_file: Path):
    """A level's stress (eV/Å³) of a frame, its calculator as the Γ-QHA bench builds it."""
    from expansion_levels import teacher_calculator  # bench/, beside this script

    calc = teacher_calculator(spec_file)

    def stress(atoms):
        atoms.calc = calc
        return atoms.get_stress(voigt=True).tolist()

    return stress


def _model_stress(model_file: Path):
    """Another model's stress (a second student: the method's own check)."""
    from mofglass.models import load_model

    model = load_model(model_file)
    return lambda atoms: model.predict([atoms])[0].get_stress(voigt=True).tolist()


def teacher(work: Path, name: str, stress) -> None:
    for path in sorted(work.glob("T*.extxyz")):
        out = work / name / f"{path.stem}.json"
        if out.exists():
            continue
        out.parent.mkdir(exist_ok=True)
        stresses = [stress(atoms) for atoms in ase.io.iread(path)]
        tmp = out.with_suffix(".tmp")
        tmp.write_text(json.dumps(stresses) + "\n")
        tmp.replace(out)
        print(f"{name} {path.stem}: {len(stresses)} frames")


def mismatch(structure: Path, spec_file: Path) -> None:
    """How far the first order can be trusted: the teacher's pressure (GPa) on the
    student's relaxed cell, then after the teacher relaxes its positions at that cell.
    The drop is the part of <ΔP> that the teacher's own internal relaxation would
    remove and first-order perturbation keeps."""
    from ase.optimize import BFGS

    stress = _level_stress(spec_file)
    atoms = ase.io.read(structure)
    before = pressure_GPa(stress(atoms))
    BFGS(atoms, logfile=None).run(fmax=0.01, steps=400)
    after = pressure_GPa(stress(atoms))
    shift = np.abs(atoms.positions - ase.io.read(structure).positions).max()
    print(
        f"{spec_file.stem} on {structure} (V {atoms.get_volume():.1f} A^3): P {before:+.3f} GPa "
        f"as given, {after:+.3f} GPa relaxed by the teacher (largest shift {shift:.2f} A)"
    )


def alpha(
    work: Path, name: str, alpha_s: float, alpha_s_err: float, bulk: float, bulk_err: float
) -> dict:
    """α_L (1/K) of teacher ``name`` from the student's α_L and <ΔP>(T) (GPa), with B
    (GPa) and their errors (in quadrature)."""
    rows = []
    for path in sorted(work.glob("T*.extxyz"), key=lambda p: float(p.stem[1:])):
        frames = ase.io.read(path, ":")
        teacher_stress = json.loads((work / name / f"{path.stem}.json").read_text())
        dp = np.array(
            [
                pressure_GPa(t) - pressure_GPa(a.info["student_stress"])
                for a, t in zip(frames, teacher_stress, strict=True)
            ]
        )
        # frames 200 fs apart: a block average (5 blocks) guards against correlation
        blocks = np.array([b.mean() for b in np.array_split(dp, 5)])
        rows.append((float(path.stem[1:]), dp.mean(), blocks.std(ddof=1) / np.sqrt(len(blocks))))
    t, dp, err = (np.array(c) for c in zip(*rows, strict=True))
    (slope, intercept), cov = np.polyfit(t, dp, 1, w=1 / err, cov="unscaled")
    slope_err = float(np.sqrt(cov[0, 0]))
    correction = slope / (3 * bulk)
    result = {
        "teacher": name,
        "temperatures_K": t.tolist(),
        "delta_P_GPa": dp.tolist(),
        "delta_P_err_GPa": err.tolist(),
        "slope_GPa_per_K": float(slope),
        "slope_err_GPa_per_K": slope_err,
        "bulk_modulus_GPa": bulk,
        "bulk_modulus_err_GPa": bulk_err,
        "alpha_L_per_K": alpha_s + correction,
        "alpha_L_err_per_K": float(
            np.sqrt(
                alpha_s_err**2 + (slope_err / (3 * bulk)) ** 2 + (correction * bulk_err / bulk) ** 2
            )
        ),
        "volume_offset_at_300K": float((intercept + slope * 300.0) / bulk),
    }
    (work / name / "alpha.json").write_text(json.dumps(result, indent=2) + "\n")
    for row in rows:
        print(f"{name} T {row[0]:g} K: <dP> {row[1]:+.3f} +- {row[2]:.3f} GPa")
    print(
        f"{name}: d<dP>/dT {slope * 1e3:+.3f} +- {slope_err * 1e3:.3f} MPa/K; "
        f"alpha_L {result['alpha_L_per_K'] * 1e6:+.1f} +- {result['alpha_L_err_per_K'] * 1e6:.1f}"
        f"e-6 /K (student {alpha_s * 1e6:+.1f}); V offset at 300 K "
        f"{result['volume_offset_at_300K'] * 100:+.1f} % (first order: valid while small)"
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("sample")
    s.add_argument("model", type=Path)
    s.add_argument("structure", type=Path)
    s.add_argument("--work", type=Path, required=True)
    s.add_argument("--temperatures", type=float, nargs="+", default=[100, 200, 300, 400])
    s.add_argument("--frames", type=int, default=50, help="per temperature")
    t = sub.add_parser("teacher")
    t.add_argument("work", type=Path)
    t.add_argument("--spec", type=Path, help="a level's spec (its own Python)")
    t.add_argument("--model", type=Path, help="or a mofglass model.json (main environment)")
    t.add_argument("--name", help="default: the spec's stem")
    m = sub.add_parser("mismatch")
    m.add_argument("structure", type=Path, help="the student's relaxed cell")
    m.add_argument("--spec", type=Path, required=True)
    a = sub.add_parser("alpha")
    a.add_argument("work", type=Path)
    a.add_argument("--name", required=True)
    a.add_argument("--alpha-student", type=float, required=True)
    a.add_argument("--alpha-student-err", type=float, required=True)
    a.add_argument("--bulk-modulus", type=float, required=True, help="K_PV at T (GPa)")
    a.add_argument("--bulk-modulus-err", type=float, default=0.0, help="GPa")
    args = parser.parse_args()
    if args.command == "sample":
        args.work.mkdir(parents=True, exist_ok=True)
        sample(args.model, args.structure, args.work, args.temperatures, args.frames)
    elif args.command == "mismatch":
        mismatch(args.structure, args.spec)
    elif args.command == "teacher":
        stress = _level_stress(args.spec) if args.spec else _model_stress(args.model)
        teacher(args.work, args.name or args.spec.stem, stress)
    else:
        alpha(
            args.work,
            args.name,
            args.alpha_student,
            args.alpha_student_err,
            args.bulk_modulus,
            args.bulk_modulus_err,
        )


if __name__ == "__main__":
    main()
