"""Which student survives the melt: SNAP variants fitted on the same labelled frames.

Takes the frames an active-learning loop labelled (``results/active_learning/<model>``
of a finished run), holds out the frames of its last labelling iterations (the
hottest, and the model never saw them), fits each variant on the rest with the
pipeline's own trainer, and reports per variant: the force RMSE on the held-out frames
(meV/Å), the fit time, the MD cost (µs/atom/step, from the melt-quench wall time) and
the verdict, Zn-N coordination and N-Zn-N angle of each melt-quench replica (the
config's protocol and stability watch, unchanged).

    .venv/bin/python bench/student_comparison.py results/active_learning/snap_al \\
        --config config/config.yaml --out bench/students --hold-out 2

Units: meV/Å, s, µs/atom/step, degrees.
"""

from __future__ import annotations

import argparse
import copy
import json
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from mofglass import analysis
from mofglass.atomicio import read_frames, write_frames
from mofglass.chemistry import TYPE_ARRAY, inherit_types
from mofglass.config import validate_config
from mofglass.evaluation import metrics, pairs
from mofglass.jobs.meltquench import meltquench_job
from mofglass.jobs.train import train_job
from mofglass.models import load_model
from mofglass.structures import load_structure
from mofglass.train import Training

REPO = Path(__file__).resolve().parents[1]

#: variant name -> changes to the model's ``snap`` block
VARIANTS = {
    "linear 2J=6": {},
    "linear 2J=8": {"twojmax": 8},
    "quadratic 2J=4": {"twojmax": 4, "quadratic": True},
    "linear 2J=6, Zn forces x5": {"row_weights": {"element_forces": {"Zn": 5.0}}},
    "linear 2J=8, Zn forces x5": {"twojmax": 8, "row_weights": {"element_forces": {"Zn": 5.0}}},
    "linear 2J=6 + N-Zn pair splines": {"pair_splines": {"pairs": [["N", "Zn"]]}},
    "linear 2J=6 + N-Zn pair splines, Zn forces x5": {
        "pair_splines": {"pairs": [["N", "Zn"]]},
        "row_weights": {"element_forces": {"Zn": 5.0}},
    },
    "linear 2J=6, cutoff 3.0": {"rcutfac": 3.0},
    "linear 2J=6, cutoff 3.0 + N-Zn pair splines": {
        "rcutfac": 3.0,
        "pair_splines": {"pairs": [["N", "Zn"]]},
    },
    "linear 2J=6, cutoff 3.5 + N-Zn pair splines": {
        "rcutfac": 3.5,
        "pair_splines": {"pairs": [["N", "Zn"]]},
    },
    "linear 2J=8, cutoff 3.0, Zn radius 0.7 + N-Zn pair splines": {
        "twojmax": 8,
        "rcutfac": 3.0,
        "radii": {"Zn": 0.7},
        "pair_splines": {"pairs": [["N", "Zn"]]},
    },
    "typed 2J=6, cutoff 3.0": {"rcutfac": 3.0, "species": "atom_type"},
    "typed 2J=6, cutoff 3.0 + N-Zn pair splines": {
        "rcutfac": 3.0,
        "species": "atom_type",
        "pair_splines": {"pairs": [["N", "Zn"]]},
    },
    "typed 2J=8, cutoff 3.0": {"twojmax": 8, "rcutfac": 3.0, "species": "atom_type"},
    "typed quadratic 2J=6, cutoff 3.0": {"quadratic": True, "rcutfac": 3.0, "species": "atom_type"},
    "typed quadratic 2J=4, cutoff 3.0": {
        "quadratic": True,
        "twojmax": 4,
        "rcutfac": 3.0,
        "species": "atom_type",
    },
    "typed 2J=6, cutoff 3.5": {"rcutfac": 3.5, "species": "atom_type"},
    "linear 2J=6, ZBL on bonded pairs": {
        "zbl": {
            "pairs": [["H", "H"], ["C", "N"], ["C", "C"], ["N", "Zn"]],
            "inner_A": 0.8,
            "outer_A": 1.2,
        },
    },
}


def split_frames(al_dir: Path, hold_out: int):
    """(train, validation, held-out) frames: the loop's final splits, with the frames of
    its last ``hold_out`` labelling iterations moved out of training."""
    iterations = sorted(
        d
        for d in al_dir.glob("iter*")
        if any(read_frames(f) for f in (d / "labels").glob("*[0-9].extxyz"))
    )
    late = {
        a.info["frame_id"]
        for d in iterations[-hold_out:]
        for f in sorted((d / "labels").glob("*[0-9].extxyz"))
        for a in read_frames(f)
    }
    train = read_frames(al_dir / "dataset" / "train.extxyz")
    validation = read_frames(al_dir / "dataset" / "validation.extxyz")
    held = [a for a in train if a.info["frame_id"] in late]
    train = [a for a in train if a.info["frame_id"] not in late]
    return train, validation, held


def run_variant(name, changes, base_block, frames, config, out: Path) -> dict:
    train, validation, held = frames
    work = out / name.replace(" ", "_").replace(",", "").replace("=", "")
    work.mkdir(parents=True, exist_ok=True)
    files = {}
    for split, data in (("train", train), ("validation", validation), ("test", held)):
        files[split] = str(work / f"{split}.extxyz")
        write_frames(files[split], data)
    lineage = work / "lineage.csv"
    pd.DataFrame(
        {
            "frame_id": [a.info["frame_id"] for a in train],
            "label_status": "labelled",
            "split": "train",
        }
    ).to_csv(lineage, index=False)
    block = copy.deepcopy(base_block)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(block["snap"].get(key), dict):
            block["snap"][key] = {**block["snap"][key], **value}
        else:
            block["snap"][key] = value
    start = time.perf_counter()
    level = train[0].info["level_of_theory"]
    model_file = str(work / "model" / "model.json")
    train_job(Training(name, block, files, str(lineage), model_file, level))
    fit_s = time.perf_counter() - start
    model = load_model(work / "model" / "model.json")
    row = metrics(name, "held-out", pairs(held, model.predict(held)))
    result = {
        "variant": name,
        "train_frames": len(train),
        "held_out_frames": len(held),
        "held_out_forces_rmse_meV_per_A": row["forces_rmse_meV_per_A"],
        "held_out_energy_rmse_meV_per_atom": row["energy_rmse_meV_per_atom"],
        "n_coefficients": json.loads((work / "model" / "fit.json").read_text())["n_coefficients"],
        "fit_s": fit_s,
    }
    block_mq = config["meltquench"]
    damping = {k: config["md"][k] for k in ("thermostat_damping_fs", "barostat_damping_fs")}
    damping["watch"] = config["meltquench"]["watch"]  # the MD settings of the rule
    steps = 0
    for replica in range(block_mq["replicas"]):
        rdir = work / f"replica{replica}"
        rdir.mkdir(exist_ok=True)
        outputs = {
            k: str(rdir / f"{k}.{e}")
            for k, e in (
                ("thermo", "tsv"),
                ("trajectory", "extxyz"),
                ("final", "extxyz"),
                ("figure", "png"),
                ("verdict", "tsv"),
            )
        }
        structure = work / "structure.extxyz"
        write_frames(structure, [read_frames(out / "zif4.extxyz")[0]])
        meltquench_job(
            str(work / "model" / "model.json"),
            str(structure),
            block_mq,
            damping,
            replica,
            str(rdir / "lammps"),
            outputs,
        )
        verdict = pd.read_csv(outputs["verdict"], sep="\t").iloc[0]
        final = read_frames(outputs["final"]) if Path(outputs["final"]).stat().st_size else []
        cn = np.mean([analysis.coordination(a).mean() for a in final]) if final else np.nan
        angle = (
            np.mean(np.concatenate([analysis.bond_angles(a) for a in final])) if final else np.nan
        )
        result[f"replica{replica}"] = (
            f"{verdict['verdict']} at {verdict['simulated_ps']:.2f} ps"
            + (f" ({verdict['reason']})" if verdict["verdict"] != "ok" else "")
        )
        result[f"replica{replica}_cn"] = cn
        result[f"replica{replica}_n_zn_n_deg"] = angle
        steps += verdict["simulated_ps"] * 1000 / block_mq["timestep_fs"]
        result.setdefault("md_wall_s", 0.0)
        result["md_wall_s"] += float(verdict["wall_s"])
    result["us_per_atom_step"] = result["md_wall_s"] / steps / 272 * 1e6 if steps else np.nan
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("al_dir", type=Path)
    parser.add_argument("--config", default=str(REPO / "config" / "config.yaml"))
    parser.add_argument("--model", default="snap_al")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "students")
    parser.add_argument("--hold-out", type=int, default=2)
    parser.add_argument("--variants", nargs="*", default=list(VARIANTS))
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument(
        "--types-from-start",
        action="store_true",
        help="type frames without carried types by the ZIF-4 crystal (runs before 2026-12-06)",
    )
    parser.add_argument("--no-meltquench", action="store_true", help="fit and held-out errors only")
    args = parser.parse_args()
    config = validate_config(
        yaml.safe_load(Path(args.config).read_text()),
        REPO / "workflow" / "schemas" / "config.schema.yaml",
    )
    args.out.mkdir(parents=True, exist_ok=True)
    write_frames(args.out / "zif4.extxyz", [load_structure("builtin:ZIF-4")])
    frames = split_frames(args.al_dir, args.hold_out)
    if args.types_from_start:  # a run from before frames carried their start's types
        crystal = load_structure("builtin:ZIF-4")
        for split in frames:
            inherit_types([a for a in split if TYPE_ARRAY not in a.arrays], crystal)
    if args.no_meltquench:
        config["meltquench"]["replicas"] = 0
    base = config["models"][args.model]
    with ProcessPoolExecutor(args.jobs) as pool:
        jobs = [
            pool.submit(run_variant, v, VARIANTS[v], base, frames, config, args.out)
            for v in args.variants
        ]
        rows = []
        for variant, job in zip(args.variants, jobs, strict=True):
            try:
                rows.append(job.result())
            except Exception as exc:  # one variant that cannot be built is a row
                rows.append({"variant": variant, "error": str(exc)})
    table = pd.DataFrame(rows)
    args.out.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out / "students.csv", index=False)
    with pd.option_context("display.width", 250, "display.max_columns", 30):
        print(table.to_string(index=False))


if __name__ == "__main__":
    main()
