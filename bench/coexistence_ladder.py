"""Can the laptop bracket a melting temperature of the default's student by direct
coexistence (issue 35; bench/README.md, "Coexistence at laptop scale")?

config/coexistence.yaml stacks one ZIF-4 cell (18.4 Å along c) of crystal against one
cell of the student's melt-quench product, 5 ps at 400, 700 and 1000 K. Measured: the
phase classifier (cutoff 12 Å) sees no crystal in the crystal slab even at the start
(every Zn within 12 Å of an interface), and the student's Zn keep their sites for ps
below ~1300 K, so nothing can grow or melt there. This bench asks the one question a
laptop can: where the student's Zn do move (its crystal melts in ~3 ps at 1600 K at
fixed volume), does the crystal grow below and shrink above some temperature?

- slabs of two cells along c (36.9 Å, a crystal core beyond the classifier's cutoff),
  2 x 544 atoms; the liquid slab melted from the crystal at ``--melt`` K;
- a two-class classifier (Méndez & Semino's symmetry functions and network, the
  default's settings): the crystal's own NVT at every ladder temperature, against the
  melt's frames;
- NPT (each cell length on its own barostat) at each ladder temperature; the growth
  rate is the slope of the crystalline fraction after ``--skip`` ps (the seams heal).

    .venv/bin/python bench/coexistence_ladder.py prepare RESULTS --work W --ladder 1200 1400
    .venv/bin/python bench/coexistence_ladder.py run W 1200 &   # one core each
    .venv/bin/python bench/coexistence_ladder.py run W 1400 &
    .venv/bin/python bench/coexistence_ladder.py bracket W

Every step is resumable: a finished file is not made again, an MD run restarts from its
last segment (mofglass's engine). Units: K, ps, Å.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import joblib
import numpy as np
import pandas as pd

from mofglass import coexistence, phases
from mofglass.atomicio import read_frames, write_frames
from mofglass.md import Protocol, Stage, run_md
from mofglass.models import load_model
from mofglass.structures import supercell

SYMMETRY_FUNCTIONS = {  # the default's (workflow/schemas/config.schema.yaml, phases)
    "r_cut_A": 12.0,
    "radial": [[0.5, 6.0], [0.5, 8.0], [0.5, 10.0], [0.5, 11.5]],
    "angular": [[0.005, z, lam] for z in (1, 2, 4, 16) for lam in (1, -1)],
}
NETWORK = {"hidden": [6], "alpha": 1e-4, "max_iter": 2000, "test_fraction": 0.2, "seed": 0}
TIMESTEP_FS = 0.5
DAMPING = {"thermostat_damping_fs": 100.0, "barostat_damping_fs": 1000.0}


def nvt(name: str, temperature_K: float, ps: float, dump_every: int, seed: int) -> Protocol:
    stage = Stage(
        name,
        "nvt",
        temperature_K=temperature_K,
        duration_ps=ps,
        timestep_fs=TIMESTEP_FS,
        thermo_every=20,
        dump_every=dump_every,
    )
    return Protocol((stage,), **DAMPING, seed=seed, max_temperature_factor=1.5, segment_steps=1000)


def prepare(results: Path, work: Path, ladder, melt_K: float, melt_ps: float) -> None:
    """The liquid slab, the classifier and the two-slab cell."""
    work.mkdir(parents=True, exist_ok=True)
    settings = {
        "results": str(results.resolve()),
        "ladder": ladder,
        "melt_K": melt_K,
        "melt_ps": melt_ps,
    }
    (work / "settings.json").write_text(json.dumps(settings, indent=1))
    model = load_model(results / "models/snap_al/model.json")
    (cell,) = read_frames(results / "structures/ZIF-4.extxyz")[-1:]
    slab = supercell(cell, [1, 1, 2])
    melt = run_md(slab, model, nvt("melt", melt_K, melt_ps, 200, 5), work / "melt")
    assert melt.verdict == "ok", melt.reason
    liquid = [f for f in melt.frames if f.info["time_ps"] >= melt_ps - 2.0]
    crystal = []
    for t in ladder:
        run = run_md(cell, model, nvt("crystal", t, 1.0, 100, int(t)), work / f"crystal{t:g}")
        assert run.verdict == "ok", run.reason
        crystal += [f for f in run.frames if f.info["time_ps"] >= 0.25]
    x = {
        c: phases.symmetry_functions(f, SYMMETRY_FUNCTIONS)
        for c, f in (("crystal", crystal), ("liquid", liquid))
    }
    fit = phases.train(
        np.vstack([x["crystal"], x["liquid"]]),
        ["crystal"] * len(x["crystal"]) + ["liquid"] * len(x["liquid"]),
        NETWORK,
    )
    joblib.dump(fit["model"], work / "classifier.joblib")
    print("classifier accuracy", fit["accuracy"], fit["per_class"])
    (work / "classifier.json").write_text(
        json.dumps({k: fit[k] for k in ("accuracy", "per_class", "n_train", "n_test")}, indent=1)
    )
    write_frames(work / "cell.extxyz", [coexistence.slab_cell(slab, melt.frames[-1])])


def run(work: Path, temperature_K: float, ps: float) -> None:
    """NPT of the two-slab cell at one temperature and its crystalline fraction."""
    model = load_model(
        Path(json.loads((work / "settings.json").read_text())["results"])
        / "models/snap_al/model.json"
    )
    (cell,) = read_frames(work / "cell.extxyz")
    stage = Stage(
        f"coexist{temperature_K:g}K",
        "npt",
        temperature_K=temperature_K,
        pressure_GPa=0.0,
        cell="aniso",
        duration_ps=ps,
        timestep_fs=TIMESTEP_FS,
        thermo_every=20,
        dump_every=200,
    )
    protocol = Protocol(
        (Stage("seams", "minimize", max_iterations=200), stage),
        **DAMPING,
        seed=900 + int(temperature_K),
        max_temperature_factor=1.5,
        segment_steps=2000,
    )
    result = run_md(cell, model, protocol, work / f"T{temperature_K:g}")
    frames = [f for f in result.frames if f.info["step"] > 0]
    table = phases.fractions(joblib.load(work / "classifier.joblib"), frames, SYMMETRY_FUNCTIONS)
    table.insert(0, "time_ps", [f.info["time_ps"] for f in frames])
    table["lz_A"] = [f.cell.lengths()[2] for f in frames]
    table["verdict"] = result.verdict
    table.to_csv(work / f"T{temperature_K:g}.csv", index=False)
    print(temperature_K, result.verdict, result.reason, table.iloc[[0, -1]].to_dict("records"))


def bracket(work: Path, skip_ps: float) -> None:
    growths = []
    for path in sorted(work.glob("T*.csv")):
        table = pd.read_csv(path)
        kept = table[table["time_ps"] >= table["time_ps"].min() + skip_ps]
        t = float(path.stem[1:])
        growths.append(coexistence.growth(t, kept["time_ps"], kept["fraction_crystal"]))
        print(
            f"{t:g} K: start {table['fraction_crystal'].iloc[:5].mean():.3f}, "
            f"end {table['fraction_crystal'].iloc[-5:].mean():.3f}, {growths[-1]}"
        )
    found = coexistence.bracket(growths)
    print(found)
    (work / "bracket.json").write_text(
        json.dumps(
            {"growths": [g.__dict__ for g in growths], "bracket": found}, indent=1, default=float
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="step", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("results", type=Path, help="a default run's results/")
    p.add_argument("--work", type=Path, required=True)
    p.add_argument("--ladder", type=float, nargs="+", required=True, help="K")
    p.add_argument("--melt", type=float, default=1600.0, help="K")
    p.add_argument("--melt-ps", type=float, default=5.0)
    r = sub.add_parser("run")
    r.add_argument("work", type=Path)
    r.add_argument("temperature", type=float, help="K")
    r.add_argument("--ps", type=float, default=10.0)
    b = sub.add_parser("bracket")
    b.add_argument("work", type=Path)
    b.add_argument("--skip", type=float, default=1.0, help="ps left out of each fit")
    args = parser.parse_args()
    if args.step == "prepare":
        prepare(args.results, args.work, args.ladder, args.melt, args.melt_ps)
    elif args.step == "run":
        run(args.work, args.temperature, args.ps)
    else:
        bracket(args.work, args.skip)


if __name__ == "__main__":
    main()
