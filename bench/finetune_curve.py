"""How many labels fine-tuning saves: CHGNet fine-tuned, CHGNet from scratch and the
default's SNAP on the same nested subsets of the default's flat-histogram training
split, with CHGNet zero-shot at 0 frames; test errors against SevenNet-0 + D3.

    .venv/bin/python bench/finetune_curve.py WORKDIR [--epochs 10] [--cores 2]

WORKDIR: a clone of the project (its .venv and .venvs installed or linked). The script
writes ``finetune.yaml`` there (the default config plus the model ``chgnet_ft``), runs
Snakemake for the learning curves (nothing is redone that is done) and prints them
side by side. On 2 cores, 10 epochs: 33 min from a clean clone.
"""

from __future__ import annotations

import argparse
import subprocess
from pathlib import Path

import pandas as pd
import yaml

from mofglass import families

#: CHGNet's own recipe: embeddings and message passing kept, readout trained
FROZEN = list(families.CHGNET_FROZEN)


def config(workdir: Path, epochs: int) -> str:
    """The default config with CHGNet fine-tuned on its flat-histogram set."""
    block = yaml.safe_load((workdir / "config/config.yaml").read_text())
    block["models"]["chgnet_ft"] = {
        "type": "finetune",
        "level": "chgnet",
        "dataset": "fh",
        "stages": [],
        "network": {
            "epochs": epochs,
            "batch_size": 2,
            "learning_rate": 0.005,
            "energy_weight": 1.0,
            "forces_weight": 1.0,
            "stress_weight": 0.1,
            "device": "cpu",
            "seed": 1,
            "freeze": FROZEN,
        },
        "learning_curve": {"fractions": [0.25, 0.5, 1.0], "seed": 0, "scratch": True},
    }
    (workdir / "finetune.yaml").write_text(yaml.safe_dump(block))
    return "finetune.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("workdir", type=Path)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--cores", type=int, default=2)
    args = parser.parse_args()
    models = args.workdir / "results/models"
    targets = [f"results/models/{m}/learning_curve.csv" for m in ("chgnet_ft", "snap")]
    targets.append("results/models/chgnet/metrics.csv")
    subprocess.run(
        [".venv/bin/snakemake", *targets, "--cores", str(args.cores)]
        + ["--configfile", config(args.workdir, args.epochs)],
        cwd=args.workdir,
        check=True,
    )
    curves = pd.concat(
        [
            pd.read_csv(models / "chgnet_ft/learning_curve.csv").replace(
                {"start": {"fine-tuned": "CHGNet fine-tuned", "scratch": "CHGNet scratch"}}
            ),
            pd.read_csv(models / "snap/learning_curve.csv").assign(start="SNAP scratch"),
        ]
    )
    curves["start"] = curves["start"].replace({"zero-shot": "CHGNet zero-shot"})
    test = curves[curves["split"] == "test"]
    for column in ("energy_mae_meV_per_atom", "forces_mae_meV_per_A", "stress_mae_MPa"):
        print(f"\ntest {column}")
        print(test.pivot(index="start", columns="n_train", values=column).round(1).to_string())


if __name__ == "__main__":
    main()
