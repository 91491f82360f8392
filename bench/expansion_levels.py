"""Whose thermal expansion: the teacher's, the repaired teacher's or the student's?
(issue 35; bench/README.md, "Whose expansion")

The linear expansion coefficient α_L at 300 K of a cubic crystal's primitive cell in
the quasi-harmonic approximation at Γ, the same way for every level, so that the levels
can be compared where NPT MD with the teacher (about 2 steps/s here) cannot reach the
precision: 100 ps per temperature would be needed to resolve α_L to 2e-6 /K.

1. E0(V): positions relaxed (BFGS, fmax 0.005 eV/Å) at nine (``--eos-points``) volumes,
   0.96-1.04 of the given cell (``--eos-span``; V0 must fall inside), fitted by a
   Birch-Murnaghan equation of state (ASE): V0 and B0.
2. Γ-point frequencies (ASE's ``Vibrations``, central differences of 0.01 Å) of the
   relaxed cell at V0 × (0.985, 1.0, 1.015); the three acoustic modes and any imaginary
   mode left out (their count is printed).
3. F(V, T) = E0(V) + Σ_modes [ħω/2 + kT ln(1 - exp(-ħω/kT))], ħω linear in V;
   V(T) minimises it; α_L(300 K) = (1/3V) dV/dT by central differences at ±50 K.

Γ only: a primitive cell of 106 (MOF-5) or 138 atoms (ZIF-8) has its low-frequency
linker librations at Γ, but no acoustic branch away from it; the same for every level.

    # the structures and the level specs (main environment; the repaired level's term
    # from a run of `snakemake repair`)
    .venv/bin/python bench/expansion_levels.py prepare OUT --results results
    # the teacher (SevenNet-0 + D3; its own Python), resumable (Vibrations' cache)
    .venvs/sevenn/bin/python bench/expansion_levels.py qha OUT/MOF-5.extxyz \\
        --spec OUT/sevennet.json --work OUT/MOF-5-sevennet
    .venvs/sevenn/bin/python bench/expansion_levels.py qha OUT/ZIF-8.extxyz \\
        --spec OUT/sevennet-repaired.json --work OUT/ZIF-8-repaired
    # a student (a mofglass model.json; main environment)
    .venv/bin/python bench/expansion_levels.py qha OUT/MOF-5.extxyz \\
        --model results/models/snap/model.json --work OUT/MOF-5-snap

Prints V0 (Å³), B0 (GPa), the modes used, α_L (1e-6 /K) and writes ``qha.json``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
from pathlib import Path

import ase.io
import numpy as np
from ase import units
from ase.calculators.calculator import Calculator, all_changes

REPO = Path(__file__).resolve().parents[1]
SCALES = 9  # volumes from 0.96 to 1.04 of the given cell's
PHONON_SCALES = (0.985, 1.0, 1.015)  # of V0
TEMPERATURES = (250.0, 300.0, 350.0)


def prepare(out: Path, results: Path) -> None:
    """The primitive cells and the levels' specs of the default config, from the main
    environment; a repaired level's term from ``results`` of a run of its repair stage."""
    import yaml

    from mofglass.calculators import CalculatorLevel
    from mofglass.config import validate_config
    from mofglass.levels import kind, resolve
    from mofglass.structures import load_structure

    out.mkdir(parents=True, exist_ok=True)
    for name in ("MOF-5", "ZIF-8"):
        ase.io.write(out / f"{name}.extxyz", load_structure(f"builtin:{name}"))
    config = validate_config(
        yaml.safe_load((REPO / "config/config.yaml").read_text()),
        REPO / "workflow/schemas/config.schema.yaml",
    )
    levels = config["levels_of_theory"]
    for name, block in levels.items():
        if kind(block) in ("calculator", "repaired"):
            block = resolve(name, levels)
            if block.get("repair_file"):  # the term a default run's repair stage fitted
                block["repair_file"] = str(Path(results) / "repair" / name / "term.json")
                if not Path(block["repair_file"]).exists():
                    print(f"{name}: no {block['repair_file']} (run: snakemake repair)")
                    continue
            level = CalculatorLevel.from_config(name, block)
            (out / f"{name}.json").write_text(json.dumps(level.spec(), indent=2) + "\n")
            print(f"{out / name}.json: {level.spec()['class']}, repair: {bool(level.repair)}")


def teacher_calculator(spec_file: Path):
    """A level's ASE calculator, built by mofglass's runner (imports nothing of mofglass)."""
    path = REPO / "src/mofglass/calculators/runner.py"
    module = importlib.util.spec_from_file_location("mofglass_runner", path)
    runner = importlib.util.module_from_spec(module)
    module.loader.exec_module(runner)
    return runner.make_calculator(json.loads(spec_file.read_text()))


class ModelCalculator(Calculator):
    """A mofglass model (LAMMPS or its family's calculator) as an ASE calculator."""

    implemented_properties = ["energy", "forces"]

    def __init__(self, model_file: Path):
        super().__init__()
        from mofglass.models import load_model

        self.model = load_model(model_file)

    def calculate(self, atoms=None, properties=None, system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        (done,) = self.model.predict([self.atoms])
        self.results = {"energy": done.get_potential_energy(), "forces": done.get_forces()}


def relaxed(atoms, calc, fmax: float = 0.005, steps: int = 400):
    from ase.optimize import BFGS

    atoms = atoms.copy()
    atoms.calc = calc
    BFGS(atoms, logfile=None).run(fmax=fmax, steps=steps)
    return atoms


def at_volume(atoms, scale: float):
    out = atoms.copy()
    out.set_cell(atoms.cell * scale ** (1 / 3), scale_atoms=True)
    return out


def gamma_energies(atoms, calc, work: Path) -> np.ndarray:
    """ħω (eV) of the Γ modes, central differences cached in ``work`` (resumable)."""
    from ase.vibrations import Vibrations

    atoms = atoms.copy()
    atoms.calc = calc
    for lock in work.glob("cache.*.json"):  # a killed run leaves its displacement's lock,
        if lock.stat().st_size == 0:  # an empty file that ASE reads as done
            lock.unlink()
    vib = Vibrations(atoms, name=str(work), delta=0.01, nfree=2)
    vib.run()
    return vib.get_energies()


def free_vib(energies: np.ndarray, temperature: float) -> float:
    """Σ [ε/2 + kT ln(1 - exp(-ε/kT))] (eV) over the real modes ε > 0."""
    kt = units.kB * temperature
    return float(np.sum(energies / 2 + kt * np.log1p(-np.exp(-energies / kt))))


def e0_of_v(
    crystal, calc, work: Path, points: int, span: tuple[float, float] = (0.96, 1.04)
) -> tuple[list, list]:
    """Relaxed energies (eV) at ``points`` volumes (Å³) across ``span`` of the cell's,
    each kept in ``work/eos.json`` as it finishes (a rerun repeats none), with whether
    BFGS met its fmax (a point that did not is kept and flagged, not dropped)."""
    cache = work / "eos.json"
    done = json.loads(cache.read_text()) if cache.exists() else {}
    scales = np.linspace(*span, points)
    for scale in scales:
        key = f"{scale:.4f}"
        if key not in done:
            atoms = relaxed(at_volume(crystal, scale), calc)
            fmax = float(np.abs(atoms.get_forces()).max())
            done[key] = {
                "volume_A3": atoms.get_volume(),
                "energy_eV": atoms.get_potential_energy(),
                "converged": fmax <= 0.005,
            }
            tmp = cache.with_suffix(".tmp")
            tmp.write_text(json.dumps(done, indent=2) + "\n")
            tmp.replace(cache)
        point = done[key]
        flag = {True: "", False: " (BFGS not converged)"}.get(
            point.get("converged"), " (convergence not recorded)"
        )
        print(f"V {point['volume_A3']:.1f} A^3: E0 {point['energy_eV']:.5f} eV{flag}", flush=True)
    keys = [f"{s:.4f}" for s in scales]
    return [done[k]["volume_A3"] for k in keys], [done[k]["energy_eV"] for k in keys]


def cached_relaxed(atoms, calc, path: Path):
    """The cell ``atoms`` relaxed tightly (fmax 0.002 eV/Å), kept at ``path`` so that a
    resumed run displaces the very structure its Vibrations cache was made from."""
    if path.exists():
        return ase.io.read(path)
    out = relaxed(atoms, calc, fmax=0.002, steps=800)
    out.calc = None
    tmp = path.with_name(path.name + ".tmp.extxyz")
    ase.io.write(tmp, out)
    tmp.replace(path)
    return out


def qha(structure: Path, calc, work: Path, points: int = SCALES, span=(0.96, 1.04)) -> dict:
    from ase.eos import EquationOfState

    work.mkdir(parents=True, exist_ok=True)
    crystal = ase.io.read(structure)
    volumes, energies = e0_of_v(crystal, calc, work, points, span)
    eos = EquationOfState(volumes, energies, eos="birchmurnaghan")
    v0, e0, b0 = eos.fit()
    if not min(volumes) < v0 < max(volumes):  # an extrapolated minimum is no minimum
        raise SystemExit(
            f"V0 {v0:.1f} A^3 outside the volumes scanned ({min(volumes):.1f}-"
            f"{max(volumes):.1f}): widen --eos-span"
        )
    base = at_volume(crystal, v0 / crystal.get_volume())
    modes, dropped, vs = [], [], []
    for k, scale in enumerate(PHONON_SCALES):
        atoms = cached_relaxed(at_volume(base, scale), calc, work / f"relaxed{k}.extxyz")
        eps = gamma_energies(atoms, calc, work / f"vib{k}")
        real = np.sort(np.real(eps[np.isreal(eps) | (np.abs(np.imag(eps)) < 1e-12)]))
        imaginary = len(eps) - len(real)
        real = real[3:]  # the three acoustic modes at Γ
        low = int(np.sum(real <= 1e-4))
        modes.append(real[real > 1e-4])
        dropped.append(imaginary + low)
        vs.append(atoms.get_volume())
        print(f"V {vs[-1]:.1f}: {len(modes[-1])} modes, {dropped[-1]} imaginary or ~0 left out")
    n = min(len(m) for m in modes)  # the same modes at every volume, lowest dropped
    table = np.array([m[-n:] for m in modes])  # (volumes, modes)
    slope, intercept = np.polyfit(vs, table, 1)  # ħω linear in V, mode by mode
    grid = np.linspace(min(volumes), max(volumes), 4001)

    def alpha_with(form: str) -> tuple[float, dict]:
        """α_L (1/K) at 300 K and V(T) (Å³) with E0(V) fitted by the EOS ``form``."""
        fit = EquationOfState(volumes, energies, eos=form)
        fit.fit()

        def volume_at(temperature: float) -> float:
            omega = np.clip(np.outer(grid, slope) + intercept, 1e-5, None)
            kt = units.kB * temperature
            vib = np.sum(omega / 2 + kt * np.log1p(-np.exp(-omega / kt)), axis=1)
            free = fit.func(grid, *fit.eos_parameters) + vib
            return float(grid[np.argmin(free)])

        v = {t: volume_at(t) for t in TEMPERATURES}
        return (v[350.0] - v[250.0]) / (100.0 * 3 * v[300.0]), v

    alpha, v = alpha_with("birchmurnaghan")
    # the fit's share of the uncertainty: the same energies through other EOS forms
    others = {form: alpha_with(form)[0] for form in ("vinet", "murnaghan", "pouriertarantola")}
    result = {
        "structure": structure.stem,
        "atoms": len(crystal),
        "V0_A3": v0,
        "B0_GPa": b0 / units.GPa,
        "modes": int(n),
        "left_out": dropped,
        "V_A3": v,
        "alpha_L_per_K": alpha,
        "alpha_L_other_eos_per_K": others,
    }
    (work / "qha.json").write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"{structure.stem}: V0 {v0:.1f} A^3 (given {crystal.get_volume():.1f}), B0 "
        f"{b0 / units.GPa:.1f} GPa, {n} modes; alpha_L(300 K) = {alpha * 1e6:+.1f}e-6 /K "
        f"(other EOS forms: {', '.join(f'{a * 1e6:+.1f}' for a in others.values())})"
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("out", type=Path)
    p.add_argument("--results", type=Path, default=REPO / "results", help="of a repair run")
    q = sub.add_parser("qha")
    q.add_argument("structure", type=Path)
    q.add_argument("--spec", type=Path, help="a level's spec (prepare)")
    q.add_argument("--model", type=Path, help="a mofglass model.json")
    q.add_argument("--work", type=Path, required=True)
    q.add_argument("--eos-points", type=int, default=SCALES, help="volumes of E0(V)")
    q.add_argument(
        "--eos-span", type=float, nargs=2, default=(0.96, 1.04), help="of the cell's volume"
    )
    args = parser.parse_args()
    if args.command == "prepare":
        prepare(args.out, args.results)
        return
    calc = teacher_calculator(args.spec) if args.spec else ModelCalculator(args.model)
    qha(args.structure, calc, args.work, args.eos_points, tuple(args.eos_span))


if __name__ == "__main__":
    main()
