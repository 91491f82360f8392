"""Does the repaired teacher bind Zn-N as PBE-D3 does, in the crystal and in glasses?
(issue 33; bench/README.md)

Castel et al.'s PBE-D3 NequIP (``../shared``) stands in for PBE-D3 on systems CP2K
cannot afford here. Against it, for the base level (SevenNet-0 + D3) and the base plus
a fitted repair term (``term.json`` of the repair stage):

- the pull test in the 272-atom ZIF-4 crystal: one Zn moved off its nearest N, energy
  above the unstretched crystal (eV) and the force on that Zn along the stretch (eV/Å);
- the force RMSE on the ten ab initio glasses of Gaillac et al. (eV/Å).

    .venv/bin/python bench/teacher_repair.py \
        ../shared/data/models/castel2024/nequip_l2r6stress0.pth \
        results/repair/<level>/term.json [more term.json files] \
        [--glasses DIR_OF_CIFS] [--work /tmp/teacher-repair]

Predictions of the base level and the NequIP are cached in ``--work`` (4-5 s a frame each).
"""

from __future__ import annotations

import argparse
import glob
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from mofglass import calculators, families, repair
from mofglass.atomicio import read_frames, write_frames
from mofglass.chemistry import derive
from mofglass.models import load_model
from mofglass.structures import load_structure

D3 = {"method": "PBE", "damping": "d3zero"}
BASE = {"calculator": "sevennet-0", "dispersion": D3}
STRETCH = [0.0, -0.2, 0.2, 0.4, 0.6, 0.8, 1.0, 1.2, 1.4]


def cached(path: Path, compute):
    if path.exists():
        return read_frames(path)
    frames = compute()
    write_frames(path, frames)
    return frames


def predictions(frames, tag: str, work: Path, nequip: Path):
    level = calculators.CalculatorLevel.from_config("base", BASE)
    base = cached(
        work / f"{tag}_base.extxyz",
        lambda: calculators.compute_labels(
            level, frames, [work / tag / f"{k}" for k in range(len(frames))], stress=False
        ),
    )

    def by_nequip():
        families.publish(
            "castel",
            {"type": "published", "file": str(nequip), "engine": "ase"},
            work / "castel",
            None,
        )
        return load_model(work / "castel" / "model.json").predict(frames)

    reference = cached(work / f"{tag}_nequip.extxyz", by_nequip)
    return base, reference


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("nequip", type=Path)
    parser.add_argument("term", type=Path, nargs="+", help="term.json files to compare")
    parser.add_argument(
        "--glasses",
        default=str(
            Path(__file__).resolve().parents[2]
            / "shared/data/structures/glasses/abinitio_Gaillac2020"
        ),
    )
    parser.add_argument("--work", type=Path, default=Path("/tmp/teacher-repair"))
    args = parser.parse_args()
    if not args.nequip.exists():
        sys.exit(f"skipped: {args.nequip} (Castel et al.'s NequIP, ../shared) is not here")
    args.work.mkdir(parents=True, exist_ok=True)
    terms = {
        p.parent.name if p.name == "term.json" else p.stem: json.loads(p.read_text())["spec"]
        for p in args.term
    }

    crystal = load_structure("builtin:ZIF-4")
    frames, metal, away = repair.pull(crystal, derive(crystal), STRETCH, "pull")
    base, nequip = predictions(frames, "pull", args.work, args.nequip)
    curves = {"nequip": nequip, "base": base}
    for name, spec in terms.items():
        curves[name] = repair.apply(base, spec)
    table = pd.DataFrame(repair.pull_table(curves, metal, away)).sort_values("stretch_A")
    for name in ["base", *terms]:
        table[f"{name}_share"] = table[f"{name}_energy_eV"] / table["nequip_energy_eV"]
    pd.set_option("display.width", 250)
    print("pull test in the crystal (eV; eV/Å; share of the NequIP's energy)")
    print(table.round(3).to_string(index=False))

    files = sorted(glob.glob(str(Path(args.glasses) / "*.cif")))
    if not files:
        print(f"no glasses under {args.glasses}")
        return
    import ase.io

    glasses = [ase.io.read(f) for f in files]
    for k, g in enumerate(glasses):
        g.info.update(run="glass", step=k)
    gbase, gnequip = predictions(glasses, "glasses", args.work, args.nequip)
    rows = []
    for name in ["base", *terms]:
        predicted = gbase if name == "base" else repair.apply(gbase, terms[name])
        per = [
            float(np.sqrt(np.mean((p.get_forces() - r.get_forces()) ** 2)))
            for p, r in zip(predicted, gnequip, strict=True)
        ]
        all_f = np.concatenate(
            [
                (p.get_forces() - r.get_forces()).ravel()
                for p, r in zip(predicted, gnequip, strict=True)
            ]
        )
        zn = [np.array(g.get_chemical_symbols()) == "Zn" for g in glasses]
        zn_f = np.concatenate(
            [
                (p.get_forces() - r.get_forces())[m].ravel()
                for p, r, m in zip(predicted, gnequip, zn, strict=True)
            ]
        )
        rows.append(
            {
                "level": name,
                "force_rmse_eV_per_A": float(np.sqrt(np.mean(all_f**2))),
                "zn_force_rmse_eV_per_A": float(np.sqrt(np.mean(zn_f**2))),
                "worst_glass_eV_per_A": max(per),
            }
        )
    print("\nthe ten ab initio glasses against the NequIP")
    print(pd.DataFrame(rows).round(4).to_string(index=False))


if __name__ == "__main__":
    main()
