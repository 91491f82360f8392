"""Is there a coexistence ladder a laptop can run with the default's student (issue 35;
bench/README.md, "Coexistence at laptop scale")?

Direct coexistence needs a temperature window where the crystal's metal atoms leave
their sites within the run (else nothing grows or melts) while the linkers stay whole
(else the run measures decomposition). This bench measures both for the student's
crystal at fixed volume (NVT from the relaxed cell), every 0.05 ps: the Zn's rms and
largest displacement from their start (unwrapped), the share of Zn moved more than
3 Å (about half a Zn-Zn distance), the mean Zn-N coordination (2.5 Å), and the share of
atoms whose covalent type (:func:`mofglass.chemistry.model_types`: a linker atom's
heavy neighbours and H) is no longer the crystal's.

    .venv/bin/python bench/coexistence_ladder.py RESULTS --work W \\
        --temperatures 1300 1600 2000 --ps 3 [--supercell 1 1 2]

RESULTS is a default run's results/ (the snap_al model, ZIF-4's structure). One run per
temperature, resumable (mofglass's MD engine restarts from its last segment); a
temperature whose table exists is not run again. Units: K, ps, Å.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from ase.geometry import find_mic
from ase.neighborlist import neighbor_list

from mofglass.atomicio import read_frames
from mofglass.chemistry import model_types
from mofglass.md import Protocol, Stage, run_md
from mofglass.models import load_model
from mofglass.structures import supercell

MOVED_A = 3.0
ZN_N_A = 2.5


def mobility(frames, crystal) -> pd.DataFrame:
    """Per frame: time (ps), Zn rms and largest displacement (Å), share of Zn moved
    beyond :data:`MOVED_A`, mean Zn-N coordination, share of atoms off their type."""
    symbols = np.array(crystal.get_chemical_symbols())
    zn = symbols == "Zn"
    start_types = np.array(model_types(crystal))
    shift = np.zeros((zn.sum(), 3))
    rows, previous = [], frames[0]
    for frame in frames:
        step = frame.positions[zn] - previous.positions[zn]
        shift += find_mic(step, frame.cell, True)[0]
        previous = frame
        distance = np.linalg.norm(shift, axis=1)
        i, j = neighbor_list("ij", frame, ZN_N_A)
        bonds = (symbols[i] == "Zn") & (symbols[j] == "N")
        cn = np.bincount(i[bonds], minlength=len(frame))[zn]
        atoms = frame.copy()
        atoms.set_chemical_symbols(symbols)  # a LAMMPS dump names its atoms by type
        rows.append(
            {
                "time_ps": frame.info["time_ps"],
                "zn_rms_A": float(np.sqrt(np.mean(distance**2))),
                "zn_max_A": float(distance.max()),
                "zn_moved": float(np.mean(distance > MOVED_A)),
                "zn_n_cn": float(cn.mean()),
                "types_changed": float(np.mean(np.array(model_types(atoms)) != start_types)),
            }
        )
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", type=Path, help="a default run's results/")
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--temperatures", type=float, nargs="+", required=True, help="K")
    parser.add_argument("--ps", type=float, default=3.0)
    parser.add_argument("--supercell", type=int, nargs=3, default=[1, 1, 1])
    args = parser.parse_args()
    model = load_model(args.results / "models/snap_al/model.json")
    (cell,) = read_frames(args.results / "structures/ZIF-4.extxyz")[-1:]
    crystal = supercell(cell, args.supercell)
    tag = "x".join(map(str, args.supercell))
    for t in args.temperatures:
        table_file = args.work / f"mobility_{tag}_T{t:g}.csv"
        if table_file.exists():
            continue
        stage = Stage("hot", "nvt", temperature_K=t, duration_ps=args.ps, timestep_fs=0.5,
                      thermo_every=20, dump_every=100)  # fmt: skip
        protocol = Protocol((stage,), thermostat_damping_fs=100.0, barostat_damping_fs=1000.0,
                            seed=7, max_temperature_factor=1.5, segment_steps=1000)  # fmt: skip
        result = run_md(crystal, model, protocol, args.work / f"{tag}_T{t:g}")
        table = mobility(result.frames, crystal)
        table["verdict"] = result.verdict
        args.work.mkdir(parents=True, exist_ok=True)
        table.to_csv(table_file, index=False)
        print(f"{t:g} K ({len(crystal)} atoms): {result.verdict} {result.reason}")
        print(table.iloc[:: max(1, len(table) // 6)].round(3).to_string(index=False))


if __name__ == "__main__":
    main()
