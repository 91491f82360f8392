"""A student's melt-quench under other protocols (issue 33; bench/README.md).

Runs the config's melt-quench with a finished run's model, each time with some keys of
the ``meltquench`` block changed (JSON, ``replica`` picks the velocity seed), and prints
the verdict, the Zn-N coordination, the N-Zn-N angle, the fraction of three-coordinated
Zn and how far the Zn sit from the crystal's sites (``analysis.site_distance``, Å).

    .venv/bin/python bench/meltquench_scan.py RUN_DIR snap_al '{"plateau_ps": 4.0}' \\
        '{"max_temperature_K": 1500, "replica": 1}'
"""

from __future__ import annotations

import copy
import json
import sys
import tempfile
from pathlib import Path

import ase.io
import numpy as np
import yaml

from mofglass import analysis
from mofglass.atomicio import read_frames
from mofglass.config import validate_config
from mofglass.jobs.meltquench import meltquench_job

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    run, model, specs = Path(sys.argv[1]), sys.argv[2], sys.argv[3:]
    config = validate_config(
        yaml.safe_load((run / "config/config.yaml").read_text()),
        REPO / "workflow/schemas/config.schema.yaml",
    )
    structure = run / "results/structures/ZIF-4.extxyz"
    crystal = ase.io.read(structure)
    damping = {k: config["md"][k] for k in ("thermostat_damping_fs", "barostat_damping_fs")}
    damping["watch"] = config["meltquench"]["watch"]  # the MD settings of the rule
    for spec in specs:
        changes = json.loads(spec)
        replica = changes.pop("replica", 0)
        block = copy.deepcopy(config["meltquench"]) | changes
        with tempfile.TemporaryDirectory() as tmp:
            out = {k: f"{tmp}/{k}" for k in ("thermo", "figure", "verdict")}
            out.update(trajectory=f"{tmp}/t.traj", final=f"{tmp}/final.extxyz")
            model_file = str(run / "results/models" / model / "model.json")
            verdict = meltquench_job(model_file, str(structure), block, damping, replica, tmp, out)
            final = read_frames(out["final"])
        row = {"changes": spec, "verdict": str(verdict)}
        if final:
            row |= {
                "zn_n_cn": float(np.mean([analysis.coordination(a).mean() for a in final])),
                "fraction_cn3": float(
                    np.mean([np.mean(analysis.coordination(a) == 3) for a in final])
                ),
                "n_zn_n_deg": float(
                    np.mean(np.concatenate([analysis.bond_angles(a) for a in final]))
                ),
                "zn_site_distance_A": analysis.site_distance(final[-1], crystal),
            }
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
