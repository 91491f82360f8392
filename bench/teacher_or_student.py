"""Is a glass's under-coordination the teacher's or the student's? (bench/README.md)

Two measurements on a finished default run (``results/`` of ``snakemake --cores all``):

``relax``: a glass's last frame relaxed at the default reference level, SevenNet-0 + D3;
run it with that level's Python, ``.venvs/sevenn/bin/python``. Prints the Zn-N
coordination and energy per atom as the relaxation goes.

``scan``: the student's melt-quench again with another top temperature and cooling
rate (``T:rate`` pairs, K and K/ps), replica 0; prints the verdict, coordination,
N-Zn-N angle, the Zn displacement from the crystal sites and the Zn-Im rings.

    .venvs/sevenn/bin/python bench/teacher_or_student.py relax \
        results/meltquench/snap_al/replica0/final.extxyz
    .venv/bin/python bench/teacher_or_student.py scan results/models/snap_al 1000:600
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import ase.io
import numpy as np

REPO = Path(__file__).resolve().parents[1]


def zn_n_coordination(atoms, cutoff: float = 2.5) -> tuple[float, list[int]]:
    """Mean Zn-N coordination and the histogram of coordination numbers 0-5."""
    from ase.neighborlist import neighbor_list

    i, j = neighbor_list("ij", atoms, cutoff)
    symbols = np.array(atoms.get_chemical_symbols())
    keep = (symbols[i] == "Zn") & (symbols[j] == "N")
    counts = np.bincount(i[keep], minlength=len(atoms))[symbols == "Zn"]
    return float(counts.mean()), np.bincount(counts, minlength=6).tolist()


def relax(frame_file: str, rounds: int = 10) -> None:
    import yaml
    from ase.optimize import FIRE

    sys.path.insert(0, str(REPO / "src/mofglass/calculators"))
    from runner import make_calculator  # the level's own calculator, as the labels use

    level = yaml.safe_load((REPO / "config/config.yaml").read_text())["levels_of_theory"]
    spec = level["sevennet"]
    atoms = ase.io.read(frame_file, -1)
    atoms.calc = make_calculator(
        {
            "class": "sevenn.calculator:SevenNetCalculator",
            "kwargs": {"model": "7net-0", "device": "cpu"},
            "dispersion": spec["dispersion"],
        }
    )
    start = atoms.get_potential_energy() / len(atoms)
    print("start: CN", zn_n_coordination(atoms), flush=True)
    optimizer = FIRE(atoms, logfile=None)
    for k in range(rounds):
        optimizer.run(fmax=0.05, steps=10)
        fmax = float(np.linalg.norm(atoms.get_forces(), axis=1).max())
        de = 1e3 * (atoms.get_potential_energy() / len(atoms) - start)
        print(
            f"{10 * (k + 1)} steps: CN {zn_n_coordination(atoms)}, {de:+.1f} meV/atom, "
            f"max force {fmax:.3f} eV/Å",
            flush=True,
        )
        if fmax < 0.05:
            break


def scan(model_dir: str, pairs: list[str]) -> None:
    import yaml
    from ase.geometry import find_mic

    from mofglass import analysis
    from mofglass.atomicio import read_frames
    from mofglass.config import validate_config
    from mofglass.jobs.meltquench import meltquench_job

    config = yaml.safe_load((REPO / "config/config.yaml").read_text())
    validate_config(config, REPO / "workflow/schemas/config.schema.yaml")
    structure = Path(model_dir).parents[1] / "structures/ZIF-4.extxyz"
    crystal = ase.io.read(structure)
    damping = {k: config["md"][k] for k in ("thermostat_damping_fs", "barostat_damping_fs")}
    damping["watch"] = config["meltquench"]["watch"]  # the MD settings of the rule
    for pair in pairs:
        top, rate = (float(x) for x in pair.split(":"))
        block = dict(config["meltquench"], max_temperature_K=top, cooling_rate_K_per_ps=rate)
        with tempfile.TemporaryDirectory() as tmp:
            out = {k: f"{tmp}/{k}" for k in ("thermo", "figure", "verdict")}
            out.update(trajectory=f"{tmp}/t.extxyz", final=f"{tmp}/final.extxyz")
            verdict = meltquench_job(
                f"{model_dir}/model.json", str(structure), block, damping, 0, tmp, out
            )
            final = read_frames(out["final"])
        if not final:
            print(pair, verdict)
            continue
        last = final[-1]
        symbols = np.array(last.get_chemical_symbols())
        moved, _ = find_mic(last.positions - crystal.positions, last.cell)
        zn = float(np.sqrt((np.linalg.norm(moved[symbols == "Zn"], axis=1) ** 2).mean()))
        cn = np.mean([zn_n_coordination(f)[0] for f in final])
        angle = np.mean([analysis.bond_angles(f, 2.5).mean() for f in final])
        rings = analysis.rings(last, 8, 2.5)
        print(
            json.dumps(
                {
                    "top_K": top,
                    "cooling_K_per_ps": rate,
                    "verdict": verdict,
                    "zn_n_cn": round(cn, 3),
                    "n_zn_n_deg": round(angle, 1),
                    "zn_rms_displacement_A": round(zn, 2),
                    "rings": rings,
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    if sys.argv[1] == "relax":
        relax(sys.argv[2])
    else:
        scan(sys.argv[2], sys.argv[3:])
