"""Does a cheap level bind Zn-N as PBE-D3 does? (issue 18; bench/README.md)

One Zn of the 272-atom ZIF-4 crystal is moved away from one of its four N along that
bond, the rest fixed; the energy against the stretch, for each level shipped in a
wheel, beside Castel et al.'s PBE-D3 NequIP (the PBE-D3 stand-in: ../shared). A level
whose curve rises much less than the NequIP's lets a Zn lose an N at little cost: the
under-coordinated liquid and glass of issue 18.

    .venv/bin/python bench/zn_n_binding.py ARCHIVE [--stretch 0 0.2 ... 1.4] [--xtb]

ARCHIVE: ``nequip_l2r6stress0.pth``. Energies eV relative to the unstretched crystal
of the same level; the force on the moved Zn along the stretch, eV/Å (negative: back).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from mofglass import calculators, families
from mofglass.models import load_model
from mofglass.structures import load_structure

D3 = {"method": "PBE", "damping": "d3zero"}
LEVELS = {
    "SevenNet-0 + D3": {"calculator": "sevennet-0", "dispersion": D3},
    "SevenNet-l3i5 + D3": {"calculator": "sevennet-0", "kwargs": {"model": "7net-l3i5"}}
    | {"dispersion": D3},
    "SevenNet-MF-0 (PBE) + D3": {
        "calculator": "sevennet-0",
        "kwargs": {"model": "7net-mf-0", "modal": "PBE"},
        "dispersion": D3,
    },
    "CHGNet": {"calculator": "chgnet"},
}


def stretched(stretch: list[float], source: str = "builtin:ZIF-4"):
    """The structure with its first Zn moved by each stretch (Å) away from its nearest N."""
    from ase.neighborlist import neighbor_list

    crystal = load_structure(source)
    symbols = np.array(crystal.get_chemical_symbols())
    zn = int(np.flatnonzero(symbols == "Zn")[0])
    i, j, d, vectors = neighbor_list("ijdD", crystal, 2.5)
    mine = np.flatnonzero((i == zn) & (symbols[j] == "N"))
    nearest = mine[np.argmin(d[mine])]
    length, vector = d[nearest], vectors[nearest]  # vector: from the Zn to the N
    away = -vector / length  # from the N towards the Zn, and on
    frames = []
    for s in stretch:
        atoms = crystal.copy()
        atoms.positions[zn] += s * away
        atoms.info["stretch_A"] = s
        atoms.info["zn_n_A"] = length + s
        frames.append(atoms)
    return frames, zn, away


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("archive", type=Path)
    parser.add_argument(
        "--stretch", type=float, nargs="+", default=[0, 0.2, 0.4, 0.6, 0.8, 1.0, 1.2, 1.4]
    )
    parser.add_argument("--xtb", action="store_true", help="also GFN1-xTB in CP2K (18 s a frame)")
    parser.add_argument("--pbe", action="store_true", help="also PBE-D3 in CP2K (small systems)")
    parser.add_argument("--structure", default="builtin:ZIF-4", help="a structure source")
    args = parser.parse_args()
    frames, zn, away = stretched(args.stretch, args.structure)
    table = pd.DataFrame({"stretch_A": args.stretch, "zn_n_A": [a.info["zn_n_A"] for a in frames]})
    with tempfile.TemporaryDirectory() as tmp:
        families.publish(
            "castel", {"type": "published", "file": str(args.archive), "engine": "ase"}, tmp, None
        )
        results = {"PBE-D3 NequIP (Castel)": load_model(Path(tmp) / "model.json").predict(frames)}
        for name, block in LEVELS.items():
            level = calculators.CalculatorLevel.from_config(name.split()[0], block)
            dirs = [Path(tmp, name.replace(" ", "_"), f"{k}") for k in range(len(frames))]
            results[name] = calculators.compute_labels(level, frames, dirs, stress=False, threads=2)
        if args.xtb:  # CP2K's GFN1-xTB, the default's quantum-chemical cross-check
            from mofglass.cp2k.levels import LevelOfTheory
            from mofglass.cp2k.run import Launcher
            from mofglass.labels import compute_label

            xtb = LevelOfTheory.from_config("xtb", {"method": "gfn1-xtb"})
            results["GFN1-xTB"] = [
                compute_label(a, xtb, Launcher(), Path(tmp, "xtb", str(k)), stress=False)
                for k, a in enumerate(frames)
            ]
        if args.pbe:  # the paper's PBE-D3, as config/paper.yaml sets it
            from mofglass.cp2k.levels import LevelOfTheory
            from mofglass.cp2k.run import Launcher
            from mofglass.labels import compute_label

            pbe = LevelOfTheory.from_config("pbe-d3", {"method": "pbe-d3"})
            launcher = Launcher(ranks=2)
            results["PBE-D3 (CP2K)"] = [
                compute_label(a, pbe, launcher, Path(tmp, "pbe", str(k)), stress=False)
                for k, a in enumerate(frames)
            ]
    for name, predicted in results.items():
        energy = np.array([a.get_potential_energy() for a in predicted])
        table[f"{name}: E (eV)"] = energy - energy[0]
        table[f"{name}: F (eV/A)"] = [float(a.get_forces()[zn] @ away) for a in predicted]
    pd.set_option("display.width", 250)
    print(table.round(3).to_string(index=False))


if __name__ == "__main__":
    main()
